"""pyperformance `go` in miniature: a CPU loop of a bound method that changes self.

Sending self.move to worker processes would change copies of the board; the parent's board would stay empty.
"""


class Board:
    def __init__(self):
        self.stones = []
        self.score = 0

    def move(self, pos):
        value = pos
        for i in range(20_000):
            value = (value * 31 + i) % 1_000_003
        self.stones.append(value)
        self.score += value % 7

    def replay(self, history):
        for pos in history:  # unsafe: self.move changes self
            self.move(pos)


if __name__ == "__main__":
    board = Board()
    board.replay(range(150))
    print(len(board.stones), board.score)

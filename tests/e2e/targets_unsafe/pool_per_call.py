"""A CPU-bound comprehension inside a function that its caller runs thousands of times.

A process pool created inside squares() would be started on every call (14x slower measured on a real case).
"""


def square(x):
    total = 0
    for i in range(x * 40):
        total += i % 7
    return total


def squares(n):
    return [square(i) for i in range(n)]  # unsafe: squares() runs 1500 times


def main():
    total = 0
    for k in range(1500):
        total += sum(squares(k % 24))
    print(total)


if __name__ == "__main__":
    main()

"""Sends requests to a local server (a thread on 127.0.0.1) that answers each one slowly.

The client does one blocking round trip after another and spends its time waiting in
recv for the answer. No traffic leaves the machine.
Expected: hotspot query -> io; advice asyncio or threads (keep several requests in flight).
"""
import socket
import threading
import time


def serve(listener):
    """The slow service: answers each line after 25 ms, until the client hangs up."""
    conn, _ = listener.accept()
    with conn, conn.makefile("rb") as rfile:
        for line in rfile:
            time.sleep(0.025)
            conn.sendall(line.upper())


def query(rfile, sock, i):
    sock.sendall(b"get key-%d\n" % i)
    return rfile.readline().decode().strip()


def ask_all(port, n):
    with socket.create_connection(("127.0.0.1", port)) as sock, sock.makefile("rb") as rfile:
        return [query(rfile, sock, i) for i in range(n)]


if __name__ == "__main__":
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    answers = ask_all(listener.getsockname()[1], 45)
    print(len(answers), answers[0], answers[-1])

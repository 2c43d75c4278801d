import time

with open("runs.txt", "a", encoding="utf-8") as log:
    log.write("ran\n")
time.sleep(0.2)

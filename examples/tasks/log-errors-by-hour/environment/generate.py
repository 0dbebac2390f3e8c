import os
import random
random.seed(13)
services = ["api", "auth", "billing", "search", "worker"]
levels = ["INFO"] * 12 + ["DEBUG"] * 6 + ["WARN"] * 3 + ["ERROR"]
for part in range(int(os.environ["PARTS"])):
    with open(f"/app/logs/app-{part}.log", "w") as f:
        for i in range(60000):
            day = 5 + (i * 4 + part) // 120000
            h = (i // 2500 + part * 3) % 24
            line = f"2024-03-{day:02d}T{h:02d}:{random.randint(0,59):02d}:{random.randint(0,59):02d}Z {random.choice(levels)} {random.choice(services)} request {random.randint(1, 10**6)} done"
            if random.random() < 0.002:
                line = "garbage line ERROR without timestamp"
            f.write(line + "\n")

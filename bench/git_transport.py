"""Clone and push through commons (gunicorn) against git http-backend behind
nginx + fcgiwrap and git daemon, in the same run on the same machine, and the
memory of the commons server while it serves a large clone.

    .venv/bin/python bench/git_transport.py [--commits 5000] [--repeat 3] [--big-mb 500]

Prints medians in seconds and the ratio to git http-backend (target: at most
1.10), then the server's idle and peak memory during the large clone.
"""

import argparse
import base64
import json
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

from common import (
    BIN,
    ROOT,
    commons_server,
    generate_repository,
    git,
    git_daemon,
    http_backend_server,
    median,
    pack_size,
    remove,
    scratch,
    timed,
)

PASSWORD = "bench password 123"


def api(base, path, body, headers):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def commons_project(base, env, slug):
    subprocess.run([str(BIN / "flask"), "--app", "commons", "users", "create", "bench",
                    "bench@example.org", "--password", PASSWORD], env=env, cwd=ROOT,
                   capture_output=True)
    basic = base64.b64encode(f"bench:{PASSWORD}".encode()).decode()
    token = api(base, "/api/v1/tokens", {"name": "bench"}, {"Authorization": f"Basic {basic}"})["token"]
    api(base, "/api/v1/projects", {"name": slug, "slug": slug, "license": "MIT"},
        {"Authorization": f"Bearer {token}"})
    return token


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--bytes-per-commit", type=int, default=7000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-mb", type=int, default=500, help="0 skips the memory run")
    args = parser.parse_args()

    work = scratch("commons-bench-git-")
    try:
        source = work / "source.git"
        generate_repository(source, args.commits, 400, args.bytes_per_commit)
        print(f"repository: {args.commits} commits, pack {pack_size(source) / 1e6:.1f} MB")
        # Pushes send a second, unrelated history of the same size, to a new
        # branch each round (deleted after), so every push carries it all.
        pushed = work / "pushed.git"
        generate_repository(pushed, args.commits, 400, args.bytes_per_commit, seed=3)
        pusher = work / "pusher"
        git("clone", "-q", str(pushed), str(pusher))

        hb_root, daemon_root = work / "hb", work / "daemon"
        for root in (hb_root, daemon_root):
            root.mkdir()
            git("clone", "-q", "--bare", str(source), str(root / "bench.git"))
            git("config", "http.receivepack", "true", cwd=root / "bench.git")

        with commons_server(work) as (base, env, master), \
                http_backend_server(hb_root, work) as hb_base, git_daemon(daemon_root) as daemon_base:
            token = commons_project(base, env, "bench")
            # The same repository on disk behind every server (same packs and
            # bitmaps), so only the serving differs.
            commons_repo = work / "repos" / "bench.git"
            remove(commons_repo)
            git("clone", "-q", "--bare", str(source), str(commons_repo))
            host = base.removeprefix("http://")
            urls = {
                "commons": f"http://bench:{token}@{host}/projects/bench.git",
                "http-backend": f"{hb_base}/bench.git",
                "git daemon": f"{daemon_base}/bench.git",
            }
            bare = {"commons": commons_repo, "http-backend": hb_root / "bench.git",
                    "git daemon": daemon_root / "bench.git"}

            clone_times = {name: [] for name in urls}
            push_times = {name: [] for name in urls}
            for round_number in range(args.repeat):
                for name, url in urls.items():
                    target = work / f"clone-{round_number}"
                    clone_times[name] += timed(lambda url=url, target=target: git(
                        "clone", "-q", "--no-checkout", url, str(target)), 1)
                    remove(target)
                for name, url in urls.items():
                    branch = f"refs/heads/bench-{round_number}"
                    push_times[name] += timed(lambda url=url, branch=branch: git(
                        "push", "-q", url, f"main:{branch}", cwd=pusher), 1)
                    git("update-ref", "-d", branch, cwd=bare[name])

            baseline_clone = median(clone_times["http-backend"])
            baseline_push = median(push_times["http-backend"])
            print(f"\n{'server':<14}{'clone s':>10}{'ratio':>8}{'push s':>10}{'ratio':>8}")
            for name in urls:
                clone, push = median(clone_times[name]), median(push_times[name])
                print(f"{name:<14}{clone:>10.2f}{clone / baseline_clone:>8.2f}"
                      f"{push:>10.2f}{push / baseline_push:>8.2f}")
            print(f"(medians of {args.repeat}; ratio = time / git http-backend's; target <= 1.10)")

        if args.big_mb:
            big = work / "big.git"
            commits = 2000
            generate_repository(big, commits, 400, args.big_mb * 1_000_000 // commits, seed=2)
            print(f"\nlarge clone: pack {pack_size(big) / 1e6:.0f} MB")
            (work / "big-server").mkdir()
            with commons_server(work / "big-server", workers=1) as (base, env, master):
                token = commons_project(base, env, "big")
                target = work / "big-server" / "repos" / "big.git"
                remove(target)
                git("clone", "-q", "--bare", str(big), str(target))
                [worker] = workers(master)
                idle = rss_kb(worker)
                peak = [idle, 0]
                done = threading.Event()

                def sample():
                    while not done.is_set():
                        peak[0] = max(peak[0], rss_kb(worker))
                        total = rss_kb(worker) + sum(rss_kb(child) for child in workers(worker))
                        peak[1] = max(peak[1], total)
                        time.sleep(0.05)

                sampler = threading.Thread(target=sample)
                sampler.start()
                host = base.removeprefix("http://")
                start = time.perf_counter()
                git("clone", "-q", "--no-checkout", f"http://{host}/projects/big.git",
                    str(work / "big-clone"))
                elapsed = time.perf_counter() - start
                done.set()
                sampler.join()
                print(f"clone {elapsed:.1f} s; gunicorn worker RSS idle {idle / 1024:.1f} MB, "
                      f"peak {peak[0] / 1024:.1f} MB (+{(peak[0] - idle) / 1024:.1f} MB; target "
                      f"<= +50 MB); worker with its direct git children peak {peak[1] / 1024:.1f} MB")
    finally:
        remove(work)


if __name__ == "__main__":
    main()

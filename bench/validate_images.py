"""Seconds `load_metadata` spends validating images (full decode): one thread vs the default threads, and a second run that the record of validated files serves, in one run.

    .venv/bin/python bench/validate_images.py [--n-images 96] [--src-size 1024] [--threads 0]

The images are the sample set's JPEGs generated at --src-size (photographs are big; decoding is what costs). Each configuration
runs on a fresh copy of the record (deleted before the run), except the last, which reuses the record the run before it wrote.
Rounds alternate between the configurations so that a change in machine load hits them alike.
"""
import argparse, tempfile, time
from pathlib import Path
import mirip_lab.data as data
from mirip_lab.sample import make_sample_data
from mirip_lab.utils import usable_cores

def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-images', type=int, default=96)
    ap.add_argument('--src-size', type=int, default=1024, help='side of the generated JPEGs')
    ap.add_argument('--threads', type=int, default=0, help='threads of the parallel run; 0: the default, min(8, usable cores)')
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        make_sample_data(d, n_images=a.n_images, size=a.src_size)
        csv, record = Path(d)/'metadata.csv', Path(d)/data.VALIDATED_FILE
        paths = list(data.load_metadata(csv, check_images=False).path)
        def fresh(threads):
            record.unlink(missing_ok=True)
            return lambda: data.image_problems(paths, record, num_threads=threads)
        tot = dict(one=0., parallel=0., recorded=0.)
        for _ in range(a.rounds):
            tot['one'] += timed(fresh(1))
            tot['parallel'] += timed(fresh(a.threads or None))
            tot['recorded'] += timed(lambda: data.image_problems(paths, record))     # reuses what the parallel run recorded
        n = a.n_images * a.rounds
        threads = a.threads or min(8, usable_cores())
        print(f"{a.n_images} JPEGs of {a.src_size}x{a.src_size}, {a.rounds} rounds, {usable_cores()} usable cores")
        for k, t in tot.items(): print(f"  {k:9s} {n/t:8.1f} images/s  ({t/a.rounds:.3f} s per validation)")
        print(f"parallel ({threads} threads) / one thread: {tot['one']/tot['parallel']:.2f}x; "
              f"recorded / fresh parallel: {tot['parallel']/tot['recorded']:.0f}x")

if __name__ == '__main__': main()

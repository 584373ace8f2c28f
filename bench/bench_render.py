"""Licence rendering time: median and p95 over 200 renders after warm-up, one thread.

Run: .venv/bin/python bench/bench_render.py [renders]
Target: median <= 15 ms per licence (the instant path issues a signed licence within a second,
and rendering must leave most of that to signing and timestamping).

Every render gets different content (name, domicile, scope, version), as in production:
repeating one specimen would let caches and the font subset look cheaper than they are.
"""

from __future__ import annotations

import dataclasses
import re
import statistics
import sys
import time

from templates import LicenceContent, LocalizedText, render_licence
from templates.specimens import SPECIMEN_BASE_URL, SPECIMENS

TARGET_MS = 15.0

_TRADE = "青松翠柏红梅白鹤金桂银杏春夏秋冬山川河海蓝湾港塞纳宏图恒信华联"
_SCOPE = (
    "日用百货销售",
    "软件开发",
    "信息咨询服务（不含许可类信息咨询服务）",
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "货物进出口",
    "食品销售",
    "办公用品销售",
    "会议及展览服务",
    "企业管理咨询",
    "电子产品销售",
)


def variant(base: LicenceContent, i: int) -> LicenceContent:
    scope = [_SCOPE[(i + k) % len(_SCOPE)] for k in range(1 + i % 5)]
    trade = _TRADE[i % len(_TRADE)] + _TRADE[(i * 7 + 3) % len(_TRADE)]
    return dataclasses.replace(
        base,
        version=i % 9 + 1,
        name=LocalizedText(
            zh=f"东莞市{trade}{base.name.zh[5:]}",
            en=f"{base.name.en} No. {i}",
            fr=None if base.name.fr is None else f"{base.name.fr} no {i}",
        ),
        domicile=re.sub(r"\d+号$", f"{i % 300 + 1}号", base.domicile),
        business_scope=tuple(scope),
        # Translations as long as the catalogue's (about four Latin letters per ideograph).
        business_scope_en=tuple(f"Item {k} " + "x" * 3 * len(item) for k, item in enumerate(scope)),
        business_scope_fr=None
        if base.business_scope_fr is None
        else tuple(f"Objet {k} " + "y" * 3 * len(item) for k, item in enumerate(scope)),
    )


def main() -> int:
    renders = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    bases = list(SPECIMENS.values())
    started = time.perf_counter()
    render_licence(bases[0], public_base_url=SPECIMEN_BASE_URL)
    first = time.perf_counter() - started  # includes loading the font, once per process
    warm_up = [variant(bases[i % 3], 10_000 + i) for i in range(30)]
    for content in warm_up:
        render_licence(content, public_base_url=SPECIMEN_BASE_URL)

    contents = [variant(bases[i % 3], i) for i in range(renders)]
    wall: list[float] = []
    cpu: list[float] = []
    for content in contents:
        started, started_cpu = time.perf_counter(), time.process_time()
        render_licence(content, public_base_url=SPECIMEN_BASE_URL)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)

    print(f"render_licence, {renders} different licences (3 channels), one thread:")
    for name, timings in (("wall clock", wall), ("CPU time", cpu)):
        timings.sort()
        p95 = timings[round(len(timings) * 0.95) - 1]
        print(
            f"  {name:10}: median {statistics.median(timings):5.1f} ms, "
            f"p95 {p95:5.1f} ms, min {timings[0]:5.1f} ms"
        )
    # Wall clock is what the instant path waits for; on a machine shared with other jobs,
    # CPU time shows the cost of rendering itself.
    print(f"  first call, with the one-off font load: {first * 1000:.0f} ms")
    print(f"  target: median <= {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

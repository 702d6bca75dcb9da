"""Issue 12, holes 4 and 7: bounded work per input — flow files, templates, pagination."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from app.cli import parser
from app.serve import Server
from engine.flow.channels import paginate
from engine.flow.checks import check_paths
from engine.flow.templates import compile_template
from engine.states import LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
GOOD = """\
flow: tiny
title: 小
version: {version}
locale: zh
entry: hi
triggers:
  ussd: [{{code: "*7#"}}]
states:
  hi: {{type: end, text: 你好}}
"""

BOMBS = {
    "alias.yaml": ("flow: x\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                   + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
                             for p, c in zip("abcdefg", "bcdefgh", strict=True))),
    "deep.yaml": "flow: x\nstates: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "nul.yaml": "flow: x\ntitle: a\x00b\n",
    "huge.yaml": "flow: x\n# " + "x" * 1_000_001 + "\n",
    "selfalias.yaml": "a: &a [*a]\n",  # found by tests/fuzz: RecursionError
}
EXPECTED = {
    "alias.yaml": "expands to more than 200000 values",
    "deep.yaml": "2:72: error: YAML: nested more than 64 levels deep",
    "nul.yaml": "2:9: error: YAML syntax: character U+0000 is not allowed",
    "huge.yaml": "1:1: error: file larger than 1000000 characters",
    "selfalias.yaml": "(an alias inside its own anchor?)",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_validate_reports_a_located_error_for_each_bomb(tmp_path: Path, name: str) -> None:
    """Out of memory after 20 s, RecursionError, a ReaderError traceback: now one located line each."""
    (tmp_path / name).write_text(BOMBS[name], encoding="utf-8")
    started = time.perf_counter()
    found = [str(d) for d in check_paths(LANGUAGE, [str(tmp_path)], None)]
    assert time.perf_counter() - started < 5
    assert len(found) == 1 and EXPECTED[name] in found[0] and found[0].startswith(str(tmp_path / name)), found


def test_the_cli_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "nul.yaml").write_text(BOMBS["nul.yaml"], encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app.cli", "validate", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr + done.stdout
    assert "U+0000" in done.stdout + done.stderr


async def test_admin_reload_and_the_watcher_survive_every_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MENUFLOW_ADMIN_TOKEN", raising=False)
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "tiny.yaml").write_text(GOOD.format(version=1), encoding="utf-8")
    srv = Server(parser().parse_args(["serve", "--flows", str(flows), "--ussd-http", "127.0.0.1:0",
                                      "--watch", "0.01"]))
    run = await srv.start()
    watcher = asyncio.create_task(srv._watch(0.01))
    try:
        async with aiohttp.ClientSession() as http:
            for name, text in BOMBS.items():
                (flows / name).write_text(text, encoding="utf-8")
                async with http.post(f"{run.addresses['ussd']}/admin/reload") as resp:
                    assert resp.status == 422, name
                    assert EXPECTED[name] in "\n".join((await resp.json())["errors"])
                await asyncio.sleep(0.05)  # the watcher sees the change and refuses it too
                assert not watcher.done()
                (flows / name).unlink()
            (flows / "tiny.yaml").write_text(GOOD.format(version=2), encoding="utf-8")
            for _ in range(100):
                if run.engine.registry.current["tiny"].version == 2:
                    break
                await asyncio.sleep(0.02)
            assert run.engine.registry.current["tiny"].version == 2  # still watching
    finally:
        watcher.cancel()
        await srv.stop()


@pytest.mark.parametrize("source", [
    "{{ 'x'*100000000 }}",
    "{{ 'x'|center(100000000) }}",
    "{% for i in range(10**7) %}x{% endfor %}",
    "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}",
    "{% for i in range(900) %}{{ 'y' * 900 }}{% endfor %}",
])
def test_template_rendering_is_bounded_in_size_and_time(source: str) -> None:
    """``{{ 'x'*100000000 }}`` in a template hung the render."""
    started = time.perf_counter()
    assert compile_template(source).render({}) == ""
    assert time.perf_counter() - started < 0.1


def test_templates_nested_three_loops_deep_are_refused_at_compile_time() -> None:
    with pytest.raises(ValueError, match="loops nested more than 2 deep"):
        compile_template("{% for a in x %}{% for b in a %}{% for c in b %}{% endfor %}{% endfor %}{% endfor %}")


def test_ordinary_templates_still_render() -> None:
    tpl = compile_template("{{ '*' * 3 }}{% for i in range(3) %}{{ i }}{% endfor %}{{ 2 ** 10 }}{{ 'a'|center(5) }}")
    assert tpl.render({}) == "***0121024  a  "


@pytest.mark.parametrize("size", [2_000, 6_000, 8_000])
def test_long_chinese_text_pages_in_milliseconds(size: int) -> None:
    """2,000 characters took 0.7 s and 8,000 took 38 s, on the event loop."""
    text = ("尊敬的客户您好，" * (size // 8 + 1))[:size]
    started = time.perf_counter()
    pages = paginate(text, "98 更多", "0 返回")
    elapsed = time.perf_counter() - started
    body = "".join(p.replace("\n98 更多", "").replace("\n0 返回", "") for p in pages)
    assert body == text and len(pages) >= size // 80
    assert elapsed < 0.05, f"{size} characters took {elapsed * 1000:.1f} ms"

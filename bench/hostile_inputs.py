"""Every hostile input of the security issue (items 1–6 and 11) and ONNX files from
strangers (the import issue), each as a whole process:
its wall time and peak memory, beside a baseline measured in the same run, interleaved
(`archcalc check lenet5`, a small ordinary spec).

    python bench/hostile_inputs.py            # all cases; about a minute and a half
    python bench/hostile_inputs.py --quick    # skip the 100,000-layer and 50 MB cases

Limits (README): each `check` of a hostile case answers within 2 s (`compile` and
`verify`, which import torch, within 20 s); a legal spec at the
100,000-layer limit, flat or nested 15 deep, within 30 s and 1 GiB with `--format json`;
anything larger is refused with a diagnostic before the work starts; an ONNX file within
3 s (it loads the onnx package), the importer's 99,999-node limit as a legal chain within
120 s (imported, verified, then checked: two analyses of it). The script exits 1 if
a case exceeds its limit, prints a traceback, or gets an unexpected exit status.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = "archcalc: 1\nname: t\ninput: [1, 32, 32]\n"


def one(layer: str, extra: str = "") -> str:
    return HEAD + extra + f"layers:\n  - {layer}\n  - flatten\n  - fc: 10\n"


def nested(depth: int, leaf_layers: int) -> str:
    """Blocks nested `depth` deep, each using the one below twice: 2**depth leaves."""
    lines = [HEAD.replace("[1, 32, 32]", "[4, 8, 8]"), "blocks:\n", "  b0:\n    layers:\n"]
    lines += ["      - conv: {out: 4, kernel: 1}\n", "      - relu\n"] * (leaf_layers // 2)
    for i in range(1, depth + 1):
        lines.append(f"  b{i}:\n    layers:\n      - b{i - 1}: {{repeat: 2}}\n")
    lines.append(f"layers:\n  - b{depth}\n")
    return "".join(lines)


def _nested_arguments(depth: int, passed: str, top: str) -> str:
    """Blocks b1…b{depth}, each passing `passed` (an expression of its argument x) down."""
    lines = [HEAD.replace("[1, 32, 32]", "[3, H, W]"), "symbols: {C: 3, H: 8, W: 8}\n",
             "blocks:\n", "  b0: {args: {x: ~}, layers: [{conv: {out: x, kernel: 1}}]}\n"]
    lines += [f"  b{i}: {{args: {{x: ~}}, layers: [{{b{i - 1}: {{x: {passed}}}}}]}}\n"
              for i in range(1, depth + 1)]
    lines.append(f"layers:\n  - b{depth}: {{x: {top}}}\n  - flatten\n  - fc: 2\n")
    return "".join(lines)


def flat(layers: int) -> str:
    body = "".join("  - conv: {out: 4, kernel: 1}\n  - relu\n" for _ in range(layers // 2))
    return HEAD.replace("[1, 32, 32]", "[4, 8, 8]") + "layers:\n" + body


def cases(quick: bool) -> list[tuple[str, object, list[str], tuple[int, ...], float]]:
    """(label, spec text or a function making an ONNX file's bytes, extra arguments,
    accepted exit statuses, time limit in s)."""
    big = "9" * 5000
    out = [
        ("1 docstring-breaking name (compile)",
         HEAD.replace("name: t", 'name: "a\\"\\"\\" + \'\'\'\\n__import__(\'os\').system('
                      "'touch PWNED')\\nclass Z:#\"") +
         "layers: [{conv: {out: 6, kernel: 5}}, relu, flatten, {fc: 10}]\n",
         ["compile"], (0,), 20),
        ("2 layers x and x_ (compile)", HEAD + "layers:\n  - conv: {out: 2, kernel: 1, name: x}\n"
         "  - conv: {out: 2, kernel: 1, name: x_}\n  - concat: [x_, x]\n", ["compile"], (0,), 20),
        ("3 empty block under 4 nested repeat 1000",
         HEAD + "blocks:\n  e: {layers: []}\n  a: {layers: [{e: {repeat: 1000}}]}\n"
         "  b: {layers: [{a: {repeat: 1000}}]}\n  c: {layers: [{b: {repeat: 1000}}]}\n"
         "layers:\n  - c: {repeat: 1000}\n  - relu\n", [], (2,), 2),
        ("3 power tower as a kernel", one('conv: {out: 6, kernel: "(((((2**64)**64)**64)**64)'
                                          '**64)**64"}'), [], (2,), 2),
        ("3 literal 1e999999999", one('conv: {out: 6, kernel: "2*1e999999999"}'), [], (2,), 2),
        ("4 5,000-digit kernel", one(f"conv: {{out: 6, kernel: {big}}}"), [], (2,), 2),
        ("4 5,000-digit input dim", HEAD.replace("[1, 32, 32]", f"[1, {big}, 32]") +
         "layers: [relu]\n", [], (2,), 2),
        ("4 5,000-digit symbol default", HEAD + f"symbols: {{c: {big}}}\nlayers: [relu]\n",
         [], (2,), 2),
        ("4 5,000-digit repeat", one(f"relu: {{repeat: {big}}}"), [], (2,), 2),
        ("4 ((2**64)**64)**4 as out", one('conv: {out: "((2**64)**64)**4", kernel: 3}'), [],
         (2,), 2),
        ("4 1 + 5 % (H - 32) at H = 32", HEAD.replace("[1, 32, 32]", "[1, H, 32]") +
         "symbols: {H: 32}\nlayers:\n  - conv: {out: \"1 + 5 % (H - 32)\", kernel: 3}\n",
         [], (1,), 2),
        ("4 empty block read by from:", HEAD + "blocks:\n  e: {layers: []}\nlayers:\n"
         "  - e: {name: a, from: a}\n  - relu\n", [], (2,), 2),
        ("5 kernel 10000000 does not fit", one("conv: {out: 4, kernel: 10000000, stride: 3}")
         .replace("[1, 32, 32]", "[1, 10000001, 10000001]"), [], (1,), 2),
        ("5 kernel 10**8 does not fit", one('conv: {out: 4, kernel: "10**8", stride: 3}')
         .replace("[1, 32, 32]", "[1, 100000001, 100000001]"), [], (1,), 2),
        ("5 kernel 2**31 does not fit", one('conv: {out: 4, kernel: "2**31", stride: 3}')
         .replace("[1, 32, 32]", "[1, 2147483649, 2147483649]"), [], (1,), 2),
        ("5 padding 10**18, stride 2", one('conv: {out: 4, kernel: 3, stride: 2, padding: '
                                           '"10**18"}'), [], (1,), 2),
        ("3 x**16 passed down 4 nested blocks", _nested_arguments(4, '"x**16"', "3"), [],
         (2,), 2),
        ("3 an argument tripling through 16 blocks", _nested_arguments(
            16, '"max(x, H) + min(x, W) + max(x, C + 1)"', "C"), [], (2,), 2),
        ("4 min(4, 1/(H - 32)) at H = 32", HEAD.replace("[1, 32, 32]", "[1, H, 32]") +
         "symbols: {H: 32}\nlayers:\n  - conv: {out: \"min(4, 1/(H-32))\", kernel: 1}\n",
         [], (1,), 2),
        ("4 a weight of more than 2^63 elements (verify)", one(
            "conv: {out: 3074457345618258603, kernel: 1}"), ["verify"], (1,), 20),
        ("5 six TensorFlow-same stride-2 convs, symbolic", HEAD.replace(
            "[1, 32, 32]", "[3, H, W]") + "layers:\n" +
         "  - conv: {out: 4, kernel: 3, stride: 2, padding: same}\n" * 6, ["--symbolic"], (0,),
         2),
        ("11 min 100, max 10", HEAD + "symbols: {H: {min: 100, max: 10}}\nlayers: [relu]\n",
         [], (2,), 2),
        ("11 default outside its range", HEAD + "symbols: {H: {default: 5, min: 8}}\n"
         "layers: [relu]\n", [], (2,), 2),
        ("6 101,000 flat layers (over the limit)", flat(101_000), [], (2,), 30),
    ]
    if not quick:
        out += [
            ("6 100,000 flat layers, json", flat(100_000), ["--format", "json"], (0,), 30),
            ("6 98,304 layers nested 15 deep, json", nested(15, 3), ["--format", "json"],
             (0,), 30),
            ("6 50 MB spec", flat(20) + "#" + "x" * 50_000_000 + "\n", [], (2,), 2),
            ("6 50 MB name", HEAD.replace("name: t", "name: " + "n" * 50_000_000) +
             "layers: [relu]\n", [], (2,), 2),
        ]
    return out + onnx_cases(quick)


def onnx_cases(quick: bool) -> list:
    """ONNX files from strangers (`check FILE.onnx`; the payload is bytes): a node bomb, a
    bomb nested in an If's branch, an absurd kernel, a cycle; the importer's node limit as
    a legal chain (it is verified, then checked: two analyses of a 100,000-layer spec)."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        return []

    def payload(make):
        """Bytes made when the case runs, not before: a child's peak memory counts the
        parent's pages at its fork, and these payloads are tens of MB."""
        def build():
            from onnx import AttributeProto, TensorProto, helper
            return make(AttributeProto, TensorProto, helper)
        return build

    def ld(field: int, payload: bytes) -> bytes:  # a length-delimited protobuf field
        n, size = len(payload), bytearray()
        while True:
            size.append((n & 0x7F) | (0x80 if n >> 7 else 0))
            n >>= 7
            if not n:
                return bytes([field << 3 | 2]) + bytes(size) + payload

    def model(helper, TensorProto, nodes: bytes, inits=()) -> bytes:
        m = helper.make_model(helper.make_graph(
            [], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 3, 8, 8))],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 3, 8, 8))], inits))
        graph = m.graph.SerializeToString() + nodes
        m.ClearField("graph")
        return m.SerializeToString() + ld(7, graph)

    def node(helper, *args, **kw) -> bytes:
        return ld(1, helper.make_node(*args, **kw).SerializeToString())

    def bomb(A, T, h):
        return model(h, T, node(h, "Relu", ["x"], ["y"]) * 2_000_000)

    def nested(A, T, h):
        branch = A(name="then_branch", type=A.GRAPH).SerializeToString()
        relus = node(h, "Relu", ["x"], ["y"]) * 2_400_000
        return model(h, T, ld(1, h.make_node("If", ["x"], ["y"]).SerializeToString() +
                              ld(5, branch + ld(6, relus))))

    def kernel(A, T, h):
        weight = h.make_tensor("w", T.FLOAT, [4, 3, 3, 3], [0.0] * 108)
        return model(h, T, node(h, "Conv", ["x", "w"], ["y"], kernel_shape=[10**9] * 2,
                                strides=[-1, -1]), [weight])

    def cycle(A, T, h):
        return model(h, T, node(h, "Add", ["x", "b"], ["a"]) + node(h, "Relu", ["a"], ["b"])
                     + node(h, "Relu", ["b"], ["y"]))

    def chain(A, T, h):
        return model(h, T, b"".join(node(h, "Relu", [f"t{i}" if i else "x"],
                                         [f"t{i + 1}" if i < 99_998 else "y"])
                                    for i in range(99_999)))

    out = [("onnx 2,000,000 nodes in 28 MB", payload(bomb), [], (2,), 3),
           ("onnx 2,400,000 nodes nested in an If", payload(nested), [], (2,), 3),
           ("onnx kernel 10**9, strides -1", payload(kernel), [], (2,), 3),
           ("onnx a cycle", payload(cycle), [], (2,), 3)]
    if not quick:
        out.append(("onnx 99,999 nodes, a legal chain", payload(chain), [], (0,), 120))
    return out


def measure(argv: list[str], cwd: Path, cap: float = 120) -> tuple[float, int, int, str]:
    """(wall seconds, peak RSS in bytes, exit status, stderr) of one whole process, killed
    after `cap` seconds (exit status -9) so that a case that hangs cannot hang the script."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > cap:
                proc.kill()
            time.sleep(0.02)
        wall = time.perf_counter() - start
        err.seek(0)
        text = err.read(1 << 20).decode(errors="replace")
    return wall, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    exe = shutil.which("archcalc") or sys.exit("archcalc is not on PATH (pip install .)")
    failures = 0
    baselines = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{'case':48} {'time':>8} {'peak':>9} {'exit':>4}   baseline (check lenet5)")
        for i, (label, text, extra, statuses, limit) in enumerate(cases(args.quick)):
            if callable(text):  # an ONNX file, made now
                path = work / f"case{i}.onnx"
                path.write_bytes(text())
            else:
                path = work / f"case{i}.yaml"
                path.write_text(text, encoding="utf-8")
            command = extra[:1] if extra[:1] in (["compile"], ["verify"]) else ["check"]
            options = extra[1:] if command != ["check"] else extra
            base = measure([exe, "check", "lenet5"], work)[0]  # interleaved
            baselines.append(base)
            wall, peak, code, err = measure([exe, *command, str(path), *options], work,
                                            cap=max(3 * limit, 10))
            problems = []
            if code not in statuses:
                problems.append(f"exit {code}, expected {statuses}")
            if "Traceback" in err:
                problems.append("traceback")
            if wall > limit:
                problems.append(f"over {limit} s")
            if peak > 1 << 30:
                problems.append("over 1 GiB")
            if (work / "PWNED").exists():
                problems.append("code ran")
            failures += bool(problems)
            first = err.splitlines()[0][:90] if err.strip() else ""
            print(f"{label:48} {wall:7.2f}s {peak / 2**20:7.0f}MB {code:>4}   {base:.2f}s"
                  + (f"   FAIL: {', '.join(problems)}" if problems else ""))
            if first:
                print(f"{'':50}{first}")
    print(f"baseline median {statistics.median(baselines):.2f}s; {failures} case(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""ragtune's C kernels for decoding steps on CPU (serve/kernels.c), built once with the machine's C compiler.

A decoding step of the default model reads ~100 MB of int8 weights for one row and runs ~40 small operations
a layer. torch's int8-weight kernel streams those weights at ~14 GB/s on this machine's 2 cores, where a plain
read reaches ~34; and each eager operation costs microseconds of dispatch for a few hundred numbers of
work. The C file holds what a step needs instead: the int8-weight product (fp32 sums of the weight's int8 rows
times the input, prefetching the rows ahead: ~17.5 GB/s, same sums as torch's kernel up to their order),
and Gemma's norm, residual, activation and rotary embedding fused into one call each, rounded to the dtype
where torch's operations round (serve/decode_step.py uses them).

Built with `cc -O3 -march=native -fopenmp` into the user's cache (`$XDG_CACHE_HOME/ragtune/kernels`, named by a
hash of the source, the compiler and this CPU's flags, so a cache copied to another machine is rebuilt),
written under a temporary name and moved into place. The library links OpenMP by its soname, which torch has
already loaded: both share one thread team. Without a compiler, with a failed build, or where
`model.decode_kernels` is torch, `enabled()` is false and every caller runs torch's operations.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

log = logging.getLogger("serve.kernels")

SOURCE = Path(__file__).with_name("kernels.c")
FLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]
MAX_ROWS = 8  # rt_gemv_i8 sums up to this many input rows per call
_DTYPES = {torch.float32: 0, torch.bfloat16: 1}
_loaded: ctypes.CDLL | None = None  # the library, once built and loaded
_tried = False  # a failed build is not retried in the same process
_lib: ctypes.CDLL | None = None  # the library while the kernels are in use (`enable`)


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ragtune" / "kernels"


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return platform.processor()


def build(compiler: str | None = None) -> Path:
    """The compiled library for this machine, built if it is not in the cache yet. Raises on a failed build."""
    cc = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise RuntimeError("no C compiler (cc) on PATH")
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256("\0".join([SOURCE.read_text(), version, " ".join(FLAGS), _cpu_flags()]).encode()).hexdigest()[:16]
    target = cache_dir() / f"ragtune_kernels_{key}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".so.tmp", delete=False) as tmp:
        partial = Path(tmp.name)
    try:
        subprocess.run([cc, *FLAGS, str(SOURCE), "-o", str(partial), "-lm"], capture_output=True, text=True, check=True)
        os.replace(partial, target)  # never a half-written library under the final name
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"building {SOURCE.name} failed: {e.stderr.strip()[-2000:]}") from e
    finally:
        partial.unlink(missing_ok=True)
    return target


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, i, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
    lib.rt_gemv_i8.argtypes = [p, i, i, p, p, p, i, i, i]
    lib.rt_gemv_i8.restype = i
    lib.rt_rms.argtypes = [p, i, i, p, f, p, i]
    lib.rt_rms.restype = None
    lib.rt_residual_rms.argtypes = [p, p, i, i, p, p, f, p, i]
    lib.rt_residual_rms.restype = None
    lib.rt_gelu_mul.argtypes = [p, i, i, p, i]
    lib.rt_gelu_mul.restype = None
    lib.rt_qk_norm_rope.argtypes = [p, i, i, i, i, p, p, p, p, f, p, p, i]
    lib.rt_qk_norm_rope.restype = i
    return lib


def enable(setting: str = "auto") -> bool:
    """Use the kernels (built and loaded once) when `setting` is auto; torch: torch's operations. Whether they are in use.

    One switch for the process, as one process serves one model: the int8 layers, the output-vocabulary head and
    the decoding step all read it."""
    global _loaded, _tried, _lib
    if setting == "auto" and _loaded is None and not _tried:
        _tried = True
        try:
            _loaded = _declare(ctypes.CDLL(str(build())))
            log.info("decoding with ragtune's C kernels (%s)", SOURCE.name)
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            log.warning("ragtune's C kernels are not available, decoding with torch's operations: %s", e)
    _lib = _loaded if setting == "auto" else None
    return _lib is not None


def enabled() -> bool:
    return _lib is not None


def usable(*tensors: torch.Tensor) -> bool:
    """Whether the kernels are loaded and take these tensors: on CPU, contiguous, float32 or bfloat16 (one of them)."""
    if _lib is None:
        return False
    dtypes = {t.dtype for t in tensors if t.is_floating_point()}
    return len(dtypes) == 1 and dtypes <= _DTYPES.keys() and all(t.device.type == "cpu" and t.is_contiguous() for t in tensors)


def _bf(t: torch.Tensor) -> int:
    return _DTYPES[t.dtype]


def gemv_int8(x: torch.Tensor, qweight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor | None:
    """x (rows, in) @ (qweight * scale[:, None]).T for up to MAX_ROWS rows; None where the kernel does not apply."""
    rows, k = x.shape
    if rows > MAX_ROWS or not usable(x, qweight, scale) or x.dtype != scale.dtype:
        return None
    y = torch.empty((rows, qweight.shape[0]), dtype=x.dtype)
    if _lib.rt_gemv_i8(x.data_ptr(), rows, k, qweight.data_ptr(), scale.data_ptr(), y.data_ptr(), qweight.shape[0], _bf(x), torch.get_num_threads()):
        return None
    return y


def rms(x: torch.Tensor, scale: torch.Tensor, eps: float) -> torch.Tensor:
    """Gemma's RMSNorm of each row of x (rows, d) with `scale` = 1 + weight in float32."""
    out = torch.empty_like(x)
    _lib.rt_rms(x.data_ptr(), x.shape[0], x.shape[1], scale.data_ptr(), eps, out.data_ptr(), _bf(x))
    return out


def residual_rms(x: torch.Tensor, y: torch.Tensor, y_scale: torch.Tensor, next_scale: torch.Tensor | None, eps: float) -> torch.Tensor | None:
    """x += rms(y) * y_scale in place (rows, d); returns rms(x) * next_scale when next_scale is given."""
    out = torch.empty_like(x) if next_scale is not None else None
    _lib.rt_residual_rms(x.data_ptr(), y.data_ptr(), x.shape[0], x.shape[1], y_scale.data_ptr(),
                         None if next_scale is None else next_scale.data_ptr(), eps, None if out is None else out.data_ptr(), _bf(x))  # fmt: skip
    return out


def gelu_mul(gate_up: torch.Tensor) -> torch.Tensor:
    """gelu_tanh(gate) * up for gate_up (rows, 2 * inter) = [gate | up]."""
    rows, inter = gate_up.shape[0], gate_up.shape[1] // 2
    out = torch.empty((rows, inter), dtype=gate_up.dtype)
    _lib.rt_gelu_mul(gate_up.data_ptr(), rows, inter, out.data_ptr(), _bf(gate_up))
    return out


def qk_norm_rope(qkv: torch.Tensor, heads: int, kv_heads: int, head_dim: int, q_scale: torch.Tensor, k_scale: torch.Tensor,
                 cos: torch.Tensor, sin: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """q and k of qkv (rows, (heads + 2 kv_heads) * head_dim) normed per head and rotated: (rows, heads, d), (rows, kv_heads, d)."""
    rows = qkv.shape[0]
    q = torch.empty((rows, heads, head_dim), dtype=qkv.dtype)
    k = torch.empty((rows, kv_heads, head_dim), dtype=qkv.dtype)
    failed = _lib.rt_qk_norm_rope(qkv.data_ptr(), rows, heads, kv_heads, head_dim, q_scale.data_ptr(), k_scale.data_ptr(),
                                  cos.data_ptr(), sin.data_ptr(), eps, q.data_ptr(), k.data_ptr(), _bf(qkv))  # fmt: skip
    if failed:
        raise MemoryError("rt_qk_norm_rope: no work memory")
    return q, k

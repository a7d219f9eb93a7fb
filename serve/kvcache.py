"""The engine's KV cache: layers that append in place, and the row surgery of continuous batching.

transformers' `DynamicLayer` appends a step's keys and values with `torch.cat`, which copies the whole
cache: at 8 rows × ~640 tokens that is 36 copies of 2.6 MB a step (~32 ms timed alone on 2 CPU
cores; a batch-8 step of the default model went from 84–95 to 80–83 ms). `GrowingLayer` and
`GrowingSlidingLayer` keep keys and values at the front of a buffer with spare room and write each
step's tokens into it, handing attention views of the buffer; only when the room is used up (every
`ROOM` tokens) or a trim replaced the tensors from outside are they copied, once, into a new buffer;
a merge writes the joined rows straight into one, and leaving rows are removed inside it. What attention sees, and what
the mask sizes say, is exactly what the transformers layers give.

The cache stays left-aligned: every row's next token sits at the same cache position, shorter rows
padded on the left and masked out. `merge_caches` pads the shorter side's keys/values on the left;
`keep_rows` and `trim_cache` cut columns that only padding uses, so a busy server's cache does not grow
without end.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

ROOM = 128  # tokens of spare room a buffer gets beyond what it holds: one copy per ROOM decoding steps


def _stack(parts: list[torch.Tensor], width: int, room: int) -> torch.Tensor:
    """The rows of `parts` in one tensor of `width + room` tokens, each right-aligned to `width` (zeros before)."""
    first = parts[0]
    out = first.new_empty((sum(p.shape[0] for p in parts), first.shape[1], width + room, first.shape[3]))
    row = 0
    for p in parts:
        rows, length = p.shape[0], p.shape[-2]
        out[row : row + rows, :, : width - length].zero_()  # left padding: masked, but must not be NaN
        out[row : row + rows, :, width - length : width] = p
        row += rows
    return out


class _Buffer:
    """One layer's keys and values at [start, end) of tensors with spare room after `end`."""

    def __init__(self, keys: list[torch.Tensor], values: list[torch.Tensor], width: int, room: int):
        self.keys, self.values = _stack(keys, width, room), _stack(values, width, room)
        self.start, self.end = 0, width

    def append(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        """Write after the held tokens (the caller checked there is room)."""
        n = keys.shape[-2]
        self.keys[:, :, self.end : self.end + n] = keys
        self.values[:, :, self.end : self.end + n] = values
        self.end += n

    def held(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.keys[:, :, self.start : self.end], self.values[:, :, self.start : self.end]


def _hold(layer, buf: _Buffer) -> None:
    """Make `buf` the layer's storage: its keys/values become views of what the buffer holds."""
    layer._buffer = buf
    layer.keys, layer.values = buf.held()
    layer._view = layer.keys  # replaced from outside (merge, trim, row select) once this is no longer it


def _append(layer, key_states: torch.Tensor, value_states: torch.Tensor) -> _Buffer:
    """Append in place while the layer's tensors are still its buffer's views and there is room; else rebuffer once."""
    buf = getattr(layer, "_buffer", None)
    n = key_states.shape[-2]
    if buf is None or layer.keys is not layer._view or buf.keys.shape[-2] - buf.end < n:
        held = (layer.keys, layer.values) if layer.keys.dim() == 4 else (key_states[:, :, :0], value_states[:, :, :0])
        buf = _Buffer([held[0]], [held[1]], held[0].shape[-2], room=n + ROOM)
    buf.append(key_states, value_states)
    return buf


class GrowingLayer(DynamicLayer):
    """A full-attention `DynamicLayer` whose appends write into spare room instead of copying the cache."""

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        _hold(self, _append(self, key_states, value_states))
        return self.keys, self.values


class GrowingSlidingLayer(DynamicSlidingWindowLayer):
    """A `DynamicSlidingWindowLayer` (keeps the last W-1 tokens) that appends into spare room."""

    def update(self, key_states, value_states, *args, **kwargs):
        if self.record_past:  # assisted decoding's crop protocol: not the engine's, keep the library's own path
            return super().update(key_states, value_states, *args, **kwargs)
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self.cumulative_length += key_states.shape[-2]
        buf = _append(self, key_states, value_states)
        full = buf.held()  # attention sees the kept W-1 and the new tokens
        buf.start = max(buf.start, buf.end - (self.sliding_window - 1))  # what the next step may still see
        _hold(self, buf)
        return full


def new_cache(config) -> DynamicCache:
    """A `DynamicCache` for `config` whose plain and sliding-window layers append in place."""
    cache = DynamicCache(config=config)
    for i, layer in enumerate(cache.layers):
        if type(layer) is DynamicLayer:
            cache.layers[i] = GrowingLayer()
        elif type(layer) is DynamicSlidingWindowLayer:
            cache.layers[i] = GrowingSlidingLayer(sliding_window=layer.sliding_window)
    return cache


def _left_pad(mask: torch.Tensor, width: int) -> torch.Tensor:
    return torch.cat([mask.new_zeros((mask.shape[0], width - mask.shape[1])), mask], dim=1)


_GROWING = (GrowingLayer, GrowingSlidingLayer)


def growing(config) -> bool:
    """Whether every layer of `new_cache(config)` appends in place, so that its caches can be merged and trimmed."""
    return all(isinstance(layer, _GROWING) for layer in new_cache(config).layers)


def _in_place(cache) -> bool:
    """Whether every layer still holds its tensors as views of its own buffer (nothing replaced them from outside)."""
    return all(isinstance(layer, _GROWING) and layer.keys is getattr(layer, "_view", None) for layer in cache.layers)


def mergeable(cache) -> bool:
    """Whether `merge_caches` and `trim_cache` know every layer of this cache."""
    return all(isinstance(layer, _GROWING) and layer.is_initialized for layer in cache.layers)


def merge_caches(parts: list[tuple[DynamicCache, torch.Tensor]]) -> torch.Tensor:
    """Stack the rows of every (cache, mask) in `parts` into the first cache (in place), all left-aligned to the
    longest sequence, in one copy per layer; returns the joined mask."""
    width = max(mask.shape[1] for _, mask in parts)
    first = parts[0][0]
    for i, layer in enumerate(first.layers):
        others = [cache.layers[i] for cache, _ in parts]
        stored = min(width, layer.sliding_window - 1) if layer.is_sliding else width  # a sliding layer keeps its last W-1
        _hold(layer, _Buffer([o.keys for o in others], [o.values for o in others], stored, ROOM))  # room included
        if layer.is_sliding:
            layer.cumulative_length = width
    return torch.cat([_left_pad(mask, width) for _, mask in parts])


def _unused_columns(mask: torch.Tensor) -> int:
    """How many leading columns of `mask` no row uses."""
    used = mask.any(dim=0).nonzero()
    return int(used[0]) if len(used) else 0


def trim_cache(cache, mask: torch.Tensor) -> torch.Tensor:
    """Cut the leading columns that no remaining row uses; returns the trimmed mask."""
    cut = _unused_columns(mask)
    if cut == 0:
        return mask
    width = mask.shape[1] - cut
    for layer in cache.layers:
        keep = min(layer.keys.shape[2], width)
        layer.keys, layer.values = layer.keys[:, :, -keep:], layer.values[:, :, -keep:]
        if layer.is_sliding:
            layer.cumulative_length = width
    return mask[:, cut:]


def keep_rows(cache, mask: torch.Tensor, keep: list[int]) -> torch.Tensor:
    """Keep only the rows `keep` (ascending) and cut the columns no kept row uses; returns the kept rows' mask.

    Growing layers do it inside their buffers: the kept rows move up over the leaving ones and the view
    starts later, so nothing is allocated and no room is lost. The gather into fresh tensors it replaces
    (`batch_select_indices`) took 70-86 ms for a batch-8 cache of the default model at 700 tokens, more than
    a decoding step, mostly page faults on the new memory, and the next step ~10 ms more to rebuffer; this: ~3 ms.
    """
    mask = mask[keep]
    width = mask.shape[1] - _unused_columns(mask)
    if not _in_place(cache):
        cache.batch_select_indices(torch.tensor(keep, device=mask.device))
        return trim_cache(cache, mask)
    for layer in cache.layers:
        buf = layer._buffer
        for tensor in (buf.keys, buf.values):
            for row, old in enumerate(keep):
                if row != old:
                    tensor[row, :, buf.start : buf.end] = tensor[old, :, buf.start : buf.end]
        buf.keys, buf.values = buf.keys[: len(keep)], buf.values[: len(keep)]
        buf.start = max(buf.start, buf.end - width)
        _hold(layer, buf)
        if layer.is_sliding:
            layer.cumulative_length = width
    return mask[:, mask.shape[1] - width :]


def spare_room(cache) -> int:
    """Tokens every layer can take in place (0 where a layer is not a growing one or a trim replaced its view):
    a forward of that many tokens can be taken back with `rewind`."""
    if not _in_place(cache):
        return 0
    return min(layer._buffer.keys.shape[-2] - layer._buffer.end for layer in cache.layers)


def starts(cache) -> list[int]:
    """Where each layer's held tokens start: what `rewind` restores a sliding layer's window from."""
    return [layer._buffer.start for layer in cache.layers]


def rewind(cache, before: list[int], drop: int) -> None:
    """Take back the last `drop` tokens of a forward that fitted in `spare_room` (`before`: `starts` ahead of it).

    A sliding layer moved its window on by every token of the forward; the tokens it let go of are still in
    its buffer, so it moves back to keep the last W-1 of what remains, as if the dropped tokens never came."""
    if drop <= 0:
        return
    for layer, start in zip(cache.layers, before, strict=True):
        buf = layer._buffer
        buf.end -= drop
        if layer.is_sliding:
            buf.start = max(start, buf.end - (layer.sliding_window - 1))
            layer.cumulative_length -= drop
        _hold(layer, buf)

"""The engine's KV cache: layers that append in place, and the row surgery of continuous batching.

transformers' `DynamicLayer` appends a step's keys and values with `torch.cat`, which copies the whole
cache: at 8 rows × ~640 tokens that is 36 copies of 2.6 MB a step, ~30 ms of a ~80 ms decoding step
on 2 CPU cores. `GrowingLayer` and `GrowingSlidingLayer` keep keys and values at the front of a
buffer with spare room and write each step's tokens into it, handing attention views of the buffer;
only when the room is used up (every `ROOM` tokens) or a batch change replaced the tensors from
outside (a merge, a trim, a row leaving) are they copied, once, into a new buffer. What attention
sees, and what the mask sizes say, is exactly what the transformers layers give.

The cache stays left-aligned: every row's next token sits at the same cache position, shorter rows
padded on the left and masked out. `merge_caches` pads the shorter side's keys/values on the left;
`trim_cache` cuts columns that only padding uses, so a busy server's cache does not grow without end.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

ROOM = 128  # tokens of spare room a buffer gets beyond what it holds: one copy per ROOM decoding steps


class _Buffer:
    """One layer's keys and values at [start, end) of tensors with spare room after `end`."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, room: int):
        length = keys.shape[-2]
        self.keys = keys.new_empty((*keys.shape[:2], length + room, keys.shape[3]))
        self.values = values.new_empty((*values.shape[:2], length + room, values.shape[3]))
        self.keys[:, :, :length] = keys
        self.values[:, :, :length] = values
        self.start, self.end = 0, length

    def append(self, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write after the held tokens (the caller checked there is room); returns views of all of them."""
        n = keys.shape[-2]
        self.keys[:, :, self.end : self.end + n] = keys
        self.values[:, :, self.end : self.end + n] = values
        self.end += n
        return self.keys[:, :, self.start : self.end], self.values[:, :, self.start : self.end]


def _append(layer, key_states: torch.Tensor, value_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Append in place while the layer's tensors are still its buffer's views and there is room; else rebuffer once."""
    buf = getattr(layer, "_buffer", None)
    n = key_states.shape[-2]
    if buf is None or layer.keys is not layer._view or buf.keys.shape[-2] - buf.end < n:
        held = (layer.keys, layer.values) if layer.keys.dim() == 4 else (key_states[:, :, :0], value_states[:, :, :0])
        buf = layer._buffer = _Buffer(*held, room=n + ROOM)
    return buf.append(key_states, value_states)


class GrowingLayer(DynamicLayer):
    """A full-attention `DynamicLayer` whose appends write into spare room instead of copying the cache."""

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self.keys, self.values = _append(self, key_states, value_states)
        self._view = self.keys
        return self.keys, self.values


class GrowingSlidingLayer(DynamicSlidingWindowLayer):
    """A `DynamicSlidingWindowLayer` (keeps the last W-1 tokens) that appends into spare room."""

    def update(self, key_states, value_states, *args, **kwargs):
        if self.record_past:  # assisted decoding's crop protocol: not the engine's, keep the library's own path
            return super().update(key_states, value_states, *args, **kwargs)
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        self.cumulative_length += key_states.shape[-2]
        full_keys, full_values = _append(self, key_states, value_states)
        buf = self._buffer
        buf.start = max(buf.start, buf.end - (self.sliding_window - 1))  # what the next step may still see
        self.keys, self.values = buf.keys[:, :, buf.start : buf.end], buf.values[:, :, buf.start : buf.end]
        self._view = self.keys
        return full_keys, full_values


def new_cache(config) -> DynamicCache:
    """A `DynamicCache` for `config` whose plain and sliding-window layers append in place."""
    cache = DynamicCache(config=config)
    for i, layer in enumerate(cache.layers):
        if type(layer) is DynamicLayer:
            cache.layers[i] = GrowingLayer()
        elif type(layer) is DynamicSlidingWindowLayer:
            cache.layers[i] = GrowingSlidingLayer(sliding_window=layer.sliding_window)
    return cache


def _left_pad(t: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    missing = width - t.shape[dim]
    if missing <= 0:
        return t
    shape = list(t.shape)
    shape[dim] = missing
    return torch.cat([t.new_zeros(shape), t], dim=dim)


def mergeable(cache) -> bool:
    """Whether `merge_caches` and `trim_cache` know every layer of this cache."""
    return all(isinstance(layer, (GrowingLayer, GrowingSlidingLayer)) and layer.is_initialized for layer in cache.layers)


def merge_caches(a, a_mask: torch.Tensor, b, b_mask: torch.Tensor) -> torch.Tensor:
    """Stack cache `b`'s rows under `a`'s (in place in `a`), both left-aligned to the longer sequence; returns the mask."""
    width = max(a_mask.shape[1], b_mask.shape[1])
    for la, lb in zip(a.layers, b.layers, strict=True):
        stored = min(width, la.sliding_window - 1) if la.is_sliding else width  # a sliding layer keeps its last W-1
        la.keys = torch.cat([_left_pad(la.keys, stored, 2), _left_pad(lb.keys, stored, 2)])
        la.values = torch.cat([_left_pad(la.values, stored, 2), _left_pad(lb.values, stored, 2)])
        if la.is_sliding:
            la.cumulative_length = width
    return torch.cat([_left_pad(a_mask, width, 1), _left_pad(b_mask, width, 1)])


def trim_cache(cache, mask: torch.Tensor) -> torch.Tensor:
    """Cut the leading columns that no remaining row uses; returns the trimmed mask."""
    used = mask.any(dim=0).nonzero()
    cut = int(used[0]) if len(used) else 0
    if cut == 0:
        return mask
    width = mask.shape[1] - cut
    for layer in cache.layers:
        keep = min(layer.keys.shape[2], width)
        layer.keys, layer.values = layer.keys[:, :, -keep:], layer.values[:, :, -keep:]
        if layer.is_sliding:
            layer.cumulative_length = width
    return mask[:, cut:]

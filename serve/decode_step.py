"""The decoder forward of a decoding step for Gemma 3 text models, without transformers' per-module overhead.

A decoding step of the default model moves a handful of rows through 18 layers: its time is the weights it
reads plus the cost of launching each small operation. transformers' forward spends ~3 ms of a ~18 ms step
(2 cores, one row, 530 cached tokens) on what is not arithmetic: a module call, keyword plumbing and output
records per submodule, three projections where one would do, the norm's weight recomputed as `1 + w` in fp32
at every call. `GemmaStep` runs the same operations in the same order on the same weights (q/k/v and
gate/up each read as one matrix whose rows the model's own layers now view, so nothing is held twice) and
hands attention, the cache update, the masks and the rotary tables to the library's own functions; on torch's
operations its hidden states equal the library's bit for bit.

With ragtune's C kernels loaded (serve/kernels.py, `model.decode_kernels: auto`) a layer is seven calls
around attention: the int8 products, each norm fused with the residual add before it or the rotary embedding
after it, the MLP's activation. They round where torch rounds, so the hidden states differ from the library's
only by the order of float32 sums (tests/serve/test_decode_step.py). Engine step of the default model, one row
(2 cores, 200 tokens after a 530-token prompt): 20.5 ms with the library's forward, 18.2 with this one on torch's
operations, 13.6-14.6 with the C kernels (the output head included: ~2 ms).

Prefill stays on the library's forward: a wide input's time is its matrix products, not the overhead.
`decoding_forward` says which forward a model gets; other architectures, LoRA layers left unmerged and
options this forward does not implement keep the library's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.models.gemma3.modeling_gemma3 import eager_attention_forward

from ragtune.serve import kernels
from ragtune.serve.quant import Int8Linear, rounded_linear


def decoding_forward(model):
    """`forward(input_ids, attention_mask, position_ids, cache, **_) -> hidden states after the final norm` for
    the engine's decoding steps: `GemmaStep` where it applies (built once per model: every engine on the model
    shares its joined matrices), else the library's decoder."""
    step = getattr(model, "_ragtune_step", None) or GemmaStep.build(model)
    if step is not None:
        model._ragtune_step = step
        return step
    decoder = model.get_decoder()
    return lambda **step_inputs: decoder(**step_inputs).last_hidden_state


def _joined(layers: list[nn.Module]) -> nn.Module:
    """One linear layer whose output rows are those of `layers` in order; they become views of its weight."""
    sizes = [layer.out_features for layer in layers]
    if all(isinstance(layer, Int8Linear) for layer in layers):
        qweight, scale = torch.cat([layer.qweight for layer in layers]), torch.cat([layer.scale for layer in layers])
        for layer, q, s in zip(layers, qweight.split(sizes), scale.split(sizes), strict=True):
            layer.qweight, layer.scale = q, s
        return Int8Linear(qweight, scale)
    weight = torch.cat([layer.weight.detach() for layer in layers])
    joined = nn.Linear(weight.shape[1], weight.shape[0], bias=False, device=weight.device, dtype=weight.dtype)
    joined.weight = nn.Parameter(weight, requires_grad=False)
    for layer, part in zip(layers, weight.split(sizes), strict=True):
        layer.weight = nn.Parameter(part, requires_grad=False)
    return joined


def _plain(layer: nn.Module) -> bool:
    return (type(layer) is nn.Linear or isinstance(layer, Int8Linear)) and getattr(layer, "bias", None) is None


class GemmaStep:
    """The decoder of a `Gemma3ForCausalLM` for decoding steps (see the module docstring)."""

    def __init__(self, decoder, head):
        self.decoder, self.config, self.head = decoder, decoder.config, head
        c = self.config
        self.heads, self.kv_heads, self.head_dim, self.eps = c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.rms_norm_eps
        self.attention = ALL_ATTENTION_FUNCTIONS.get_interface(c._attn_implementation, eager_attention_forward)
        self.layers = [self._layer(layer, c.layer_types[i]) for i, layer in enumerate(decoder.layers)]
        self.norm = self._scale(decoder.norm)

    @classmethod
    def build(cls, model) -> GemmaStep | None:
        """A step for `model` when it is a Gemma 3 text model this forward implements exactly, else None."""
        decoder = model.get_decoder() if hasattr(model, "get_decoder") else None
        c = getattr(decoder, "config", None)
        if type(decoder).__name__ != "Gemma3TextModel" or c.attn_logit_softcapping is not None or c.use_bidirectional_attention:
            return None
        if c.hidden_activation != "gelu_pytorch_tanh":
            return None
        projections = [p for layer in decoder.layers for p in (*_attention_projections(layer), *_mlp_projections(layer))]
        return cls(decoder, model.get_output_embeddings()) if all(_plain(p) for p in projections) else None

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """The model's own head over these hidden states, soft-capped as `Gemma3ForCausalLM` does (the full vocabulary)."""
        logits = self.head(hidden)
        cap = self.config.final_logit_softcapping
        return logits if cap is None else torch.tanh(logits / cap) * cap

    def _scale(self, norm) -> torch.Tensor:
        """Gemma's RMSNorm multiplies by 1 + weight in fp32: computed once here, not at every call."""
        return (1.0 + norm.weight.detach().float()).contiguous()

    def _layer(self, layer, kind: str) -> dict:
        attn = layer.self_attn
        return {
            "kind": kind, "attn": attn, "in_norm": self._scale(layer.input_layernorm),
            "qkv": _joined(_attention_projections(layer)[:3]), "q_norm": self._scale(attn.q_norm), "k_norm": self._scale(attn.k_norm),
            "o": attn.o_proj, "post_attn_norm": self._scale(layer.post_attention_layernorm),
            "pre_mlp_norm": self._scale(layer.pre_feedforward_layernorm), "gate_up": _joined(_mlp_projections(layer)[:2]),
            "down": layer.mlp.down_proj, "post_mlp_norm": self._scale(layer.post_feedforward_layernorm),
        }  # fmt: skip

    def _rms(self, x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x.float(), (x.shape[-1],), scale, self.eps).to(x.dtype)

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin

    def __call__(self, input_ids, attention_mask, position_ids, cache, **_) -> torch.Tensor:
        decoder, c = self.decoder, self.config
        x = decoder.embed_tokens(input_ids)
        mask_args = {"config": c, "inputs_embeds": x, "attention_mask": attention_mask, "cache": cache, "position_ids": position_ids}
        masks = {"full_attention": create_causal_mask(**mask_args), "sliding_attention": create_sliding_window_causal_mask(**mask_args)}
        rotary = {kind: decoder.rotary_emb(x, position_ids, kind) for kind in set(c.layer_types)}
        if kernels.usable(x):
            return self._fused(x, masks, rotary, cache)
        rows, n, _ = x.shape
        h, kv, d = self.heads, self.kv_heads, self.head_dim
        for i, layer in enumerate(self.layers):
            q, k, v = layer["qkv"](self._rms(x, layer["in_norm"])).split([h * d, kv * d, kv * d], dim=-1)
            q = self._rms(q.view(rows, n, h, d), layer["q_norm"]).transpose(1, 2)
            k = self._rms(k.view(rows, n, kv, d), layer["k_norm"]).transpose(1, 2)
            cos, sin = (t.unsqueeze(1) for t in rotary[layer["kind"]])  # broadcast over heads
            k, v = cache.update(self._rotate(k, cos, sin), v.view(rows, n, kv, d).transpose(1, 2), i)
            out = self._attend(layer, self._rotate(q, cos, sin), k, v, masks)
            x = x + self._rms(layer["o"](out.reshape(rows, n, -1)), layer["post_attn_norm"])
            gate, up = layer["gate_up"](self._rms(x, layer["pre_mlp_norm"])).chunk(2, dim=-1)
            x = x + self._rms(layer["down"](F.gelu(gate, approximate="tanh") * up), layer["post_mlp_norm"])
        return self._rms(x, self.norm)

    def _attend(self, layer, q, k, v, masks) -> torch.Tensor:
        attn = layer["attn"]
        out, _ = self.attention(attn, q, k, v, masks[layer["kind"]], dropout=0.0, scaling=attn.scaling, sliding_window=attn.sliding_window)
        return out  # (rows, tokens, heads, head_dim), contiguous

    def _fused(self, x, masks, rotary, cache) -> torch.Tensor:
        """The same layers with serve/kernels.c: the residual stream updated in place, each norm fused with the
        residual it feeds or the rotary embedding that follows it, and the int8 products in C."""
        rows, n, dim = x.shape
        h, kv, d, eps = self.heads, self.kv_heads, self.head_dim, self.eps
        stream = x.view(rows * n, dim)
        rotary = {kind: (cos.reshape(rows * n, d), sin.reshape(rows * n, d)) for kind, (cos, sin) in rotary.items()}
        normed = kernels.rms(stream, self.layers[0]["in_norm"], eps)
        for i, layer in enumerate(self.layers):
            qkv = _project(layer["qkv"], normed)
            q, k = kernels.qk_norm_rope(qkv, h, kv, d, layer["q_norm"], layer["k_norm"], *rotary[layer["kind"]], eps)
            v = qkv[:, (h + kv) * d :].view(rows, n, kv, d).transpose(1, 2)
            k, v = cache.update(k.view(rows, n, kv, d).transpose(1, 2), v, i)
            out = self._attend(layer, q.view(rows, n, h, d).transpose(1, 2), k, v, masks)
            normed = kernels.residual_rms(stream, _project(layer["o"], out.reshape(rows * n, h * d)), layer["post_attn_norm"], layer["pre_mlp_norm"], eps)
            down = _project(layer["down"], kernels.gelu_mul(_project(layer["gate_up"], normed)))
            following = self.layers[i + 1]["in_norm"] if i + 1 < len(self.layers) else self.norm
            normed = kernels.residual_rms(stream, down, layer["post_mlp_norm"], following, eps)
        return normed.view(rows, n, dim)


def _project(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """layer(x) for rows of x; an int8 layer's product without the module call (serve/quant.py routes it: the C
    kernel where it takes x, else torch's)."""
    return rounded_linear(x, layer.qweight, layer.scale) if isinstance(layer, Int8Linear) else layer(x)


def _attention_projections(layer) -> list[nn.Module]:
    attn = layer.self_attn
    return [attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj]


def _mlp_projections(layer) -> list[nn.Module]:
    mlp = layer.mlp
    return [mlp.gate_proj, mlp.up_proj, mlp.down_proj]

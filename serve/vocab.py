"""A decoding step's LM head over the tokens a deployment can produce, not the whole vocabulary.

Decoding one token reads every weight once, and the default model's tied 262k x 640 head is the largest
part: 27 ms of a 68 ms step at one client on 2 cores (issue #19). A company bot answers in the languages of
its documents, so a step scores only: every token of the documents, the system prompt and the not-found
phrases; the special and byte-fallback tokens; the `common` most frequent tokens (lowest ids) made only of
characters the documents use (Vietnamese, English, digits, punctuation, not the other scripts of the
vocabulary); and each request's own prompt tokens (an answer copies its passages and question, whatever they
hold). Every other token scores -inf. Prefill keeps the full head: the first token and the refusal score are
the full model's, so the calibrated threshold stays valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from ragtune.serve.quant import Int8Linear, dequantised, quantise_rows, rounded_linear

COMMON = 65_536  # the first ids of a SentencePiece/BPE vocabulary are its most frequent pieces


def output_vocab(tokenizer, texts: Iterable[str], common: int = COMMON) -> list[int]:
    """Sorted ids a step scores (see the module docstring), from the deployment's texts."""
    texts = list(texts)
    ids: set[int] = set(tokenizer.all_special_ids)
    for start in range(0, len(texts), 256):
        for row in tokenizer(texts[start : start + 256], add_special_tokens=False)["input_ids"]:
            ids.update(row)
    chars = set().union(*map(set, texts)) if texts else set()
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    ids.update(i for i, piece in enumerate(pieces) if piece and piece.startswith("<0x") and piece.endswith(">"))  # byte fallback
    common = min(common, len(tokenizer))
    # decoded, not as stored: byte-level BPE stores 'ệ' as byte symbols; a partial character decodes to U+FFFD
    for i, text in enumerate(tokenizer.batch_decode([[i] for i in range(common)])):
        if text and all(c in chars or c.isspace() for c in text):
            ids.add(i)
    return sorted(ids)


class VocabHead:
    """Logits over the full vocabulary from a hidden state, computed only for the output vocabulary and the
    given extra ids of each row (its prompt); -inf elsewhere."""

    def __init__(self, model, ids: Sequence[int], int8: bool = False):
        head = model.get_output_embeddings()
        self.ids = torch.tensor(ids, dtype=torch.long, device=head.qweight.device if isinstance(head, Int8Linear) else head.weight.device)
        self.known = set(ids)
        self.weight = self.int8 = None
        self.head = head
        if isinstance(head, Int8Linear):  # the model's own int8 rows (serve/quant.py): these ones, held once more
            self.size = head.out_features
            self.int8 = head.qweight[self.ids], head.scale[self.ids]
        else:
            weight = head.weight.detach()
            self.size = weight.shape[0]
            self.weight = weight[self.ids].contiguous()  # read once a step instead of the whole head
            if int8:  # rounded as the linear layers are (serve/quant.py), held only in int8
                self.int8 = quantise_rows(self.weight)
                self.weight = None
        config = getattr(model.config, "text_config", None) or model.config
        self.softcap = getattr(config, "final_logit_softcapping", None)

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The head's rows of these token ids, in the model's dtype."""
        if isinstance(self.head, Int8Linear):
            return dequantised(self.head.qweight[ids], self.head.scale[ids])
        return self.head.weight.detach()[ids]

    def extra(self, prompt_ids: Iterable[int]) -> torch.Tensor:
        """A row's prompt tokens the output vocabulary lacks (computed once, when the row is admitted)."""
        return torch.tensor(sorted(set(prompt_ids) - self.known), dtype=torch.long, device=self.ids.device)

    def logits(self, hidden: torch.Tensor, extras: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores of `hidden` (rows, dim) over the output vocabulary and row i's `extras[i]` only, and the token id
        of each column: (rows, columns) each. Columns past a row's extras score -inf. Sampling in this space is
        sampling over the whole vocabulary with -inf elsewhere, without a 262k-wide row to fill and scan."""
        rows = hidden.shape[0]
        scores = hidden @ self.weight.T if self.int8 is None else rounded_linear(hidden, *self.int8)
        ids = self.ids.expand(rows, -1)
        width = max((len(e) for e in extras), default=0)
        if width:
            more = torch.full((rows, width), float("-inf"), dtype=scores.dtype, device=scores.device)
            more_ids = torch.zeros((rows, width), dtype=torch.long, device=scores.device)
            for row, extra in enumerate(extras):
                if len(extra):
                    more[row, : len(extra)] = hidden[row] @ self.rows(extra).T
                    more_ids[row, : len(extra)] = extra
            scores, ids = torch.cat([scores, more], dim=1), torch.cat([ids, more_ids], dim=1)
        if self.softcap:
            scores = torch.tanh(scores / self.softcap) * self.softcap
        return scores, ids

"""ragtune: fine-tune + RAG for company chatbots, under one import name.

Layers (imports run one way, left to right; docs/design.md):
    ragtune (config, prompt contract, hardware, models)  <-  ragtune.rag  <-  ragtune.finetune
        <-  ragtune.serve  <-  ragtune.evaluation
The stage folders `rag/`, `finetune/`, `serve/`, `evaluation/` at the top of the repository are
mapped to these subpackages by pyproject.toml.
"""

__version__ = "0.1.0"

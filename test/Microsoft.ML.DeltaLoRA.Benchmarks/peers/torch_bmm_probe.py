#!/usr/bin/env python3
"""Why Debian's PyTorch peer trails: batched matrix products of attention's shapes (MiniLM: 16 sequences x 12 heads, 128 tokens,
head size 32) in this PyTorch build, with each operand layout attention's forward and backward use. Usage: torch_bmm_probe.py [threads]"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
P = torch.softmax(torch.randn(192, 128, 128), -1)  # attention probabilities
V = torch.randn(192, 128, 32)                       # one head's values (contiguous)
heads = torch.randn(16, 128, 12, 32).transpose(1, 2)  # a projection split into heads (a view, as in BERT)
cases = {
    "P @ V": lambda: P @ V,
    "P^T @ V (backward: grad of V)": lambda: P.transpose(-1, -2) @ V,
    "V @ V^T (contiguous operand, transposed)": lambda: V @ V.transpose(-1, -2),
    "heads @ heads^T (Q K^T on head views)": lambda: heads @ heads.transpose(-1, -2),
}
print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
for name, product in cases.items():
    product()
    start = time.perf_counter()
    for _ in range(3):
        product()
    print(f"{name}: {(time.perf_counter() - start) / 3 * 1000:.1f} ms")

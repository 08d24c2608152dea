#!/usr/bin/env python3
"""The peers of the GPU check's step timings (issue #28, d and e): Hugging Face transformers' BertForSequenceClassification with
PEFT LoRA, and plain full fine-tuning in PyTorch, at the settings test/DeltaLoRA.GpuCheck (StepTimings) uses for ours:

  BERT-base (12 layers, hidden 768, 12 heads, FFN 3072) and MiniLM-L6 (6, 384, 12, 1536) shapes, vocabulary 30,522, random
  weights; batch 32, length 128, one fixed random batch, every token real; two labels, mean cross-entropy; dropout 0.1;
  LoRA rank 8, alpha 16 on query and value, no adapter dropout, the classifier trained too; AdamW lr 1e-4, betas (0.9, 0.999),
  eps 1e-8, weight decay 0.01 except biases and LayerNorm weights; no clipping, no schedule.

Mean step time (forward, backward, optimizer step, zero_grad) after warm-up steps, and on CUDA the peak of
torch.cuda.max_memory_allocated from before the model is built. fp32 by default; --dtype bf16 runs the forward under
torch.autocast(bfloat16), as a user would. Writes peers.json and peers.md to --out.

  python3 build/cuda/peers.py --device cuda:0 --out DIR [--threads N] [--steps 20] [--dtype fp32,bf16] [--shapes bert-base,minilm-l6]
"""
import argparse
import json
import os
import platform
import time

SHAPES = {
    "bert-base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072, vocab_size=30522),
    "minilm-l6": dict(num_hidden_layers=6, hidden_size=384, num_attention_heads=12, intermediate_size=1536, vocab_size=30522),
    "tiny": dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=128, vocab_size=1000),
}
METHODS = ["peft-lora", "full"]


def build_model(shape, method, device, seed):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(**SHAPES[shape], max_position_embeddings=512, type_vocab_size=2, hidden_dropout_prob=0.1,
                        attention_probs_dropout_prob=0.1, num_labels=2)
    model = BertForSequenceClassification(config)
    if method == "peft-lora":
        from peft import LoraConfig, TaskType, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.0,
                                                 target_modules=["query", "value"]))
    return model.to(device).train()


def optimizer_for(model):
    import torch

    decayed, not_decayed = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (not_decayed if name.endswith(".bias") or "LayerNorm" in name else decayed).append(parameter)
    return torch.optim.AdamW([{"params": decayed, "weight_decay": 0.01}, {"params": not_decayed, "weight_decay": 0.0}],
                             lr=1e-4, betas=(0.9, 0.999), eps=1e-8)


def measure(shape, method, dtype, device, batch, length, warmup, steps):
    import torch

    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model = build_model(shape, method, device, seed=0)
    optimizer = optimizer_for(model)
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(1, SHAPES[shape]["vocab_size"], (batch, length), generator=generator).to(device)
    attention_mask = torch.ones(batch, length, dtype=torch.long, device=device)
    labels = torch.randint(0, 2, (batch,), generator=generator).to(device)

    def step():
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=dtype == "bf16"):
            loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    loss = float(loss.item())
    if cuda:
        torch.cuda.synchronize(device)
    ms = (time.perf_counter() - start) * 1000 / steps
    peak = torch.cuda.max_memory_allocated(device) if cuda else None
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    del model, optimizer
    return {"shape": shape, "method": method, "dtype": dtype, "batch": batch, "length": length, "step_ms": ms,
            "peak_bytes": peak, "trainable_parameters": trainable, "last_loss": loss}


def cpu_model():
    """The processor's model name (platform.processor() is empty on most Linux systems)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--dtype", default="fp32", help="comma-separated: fp32, bf16")
    parser.add_argument("--shapes", default="bert-base,minilm-l6", help="comma-separated: " + ", ".join(SHAPES))
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated: " + ", ".join(METHODS))
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: CUDA is not available to this PyTorch")
    dtypes = args.dtype.split(",")
    for name, values, known in [("--dtype", dtypes, ["fp32", "bf16"]), ("--shapes", args.shapes.split(","), SHAPES),
                                ("--methods", args.methods.split(","), METHODS)]:
        unknown = [v for v in values if v not in known]
        if unknown:
            parser.error(f"{name}: unknown {', '.join(unknown)}; expected some of {', '.join(known)}")

    import transformers
    import peft

    results = []
    for shape in args.shapes.split(","):
        for dtype in dtypes:
            for method in args.methods.split(","):
                result = measure(shape, method, dtype, device, args.batch, args.length, args.warmup, args.steps)
                print(json.dumps(result), flush=True)
                results.append(result)

    report = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model(),
        # Step times depend on the processor and on what else runs: name both.
        "cpu_model": cpu_model(), "load_average": os.getloadavg(),
        "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
        "threads": torch.get_num_threads(), "steps": args.steps, "warmup": args.warmup, "results": results,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "peers.json"), "w") as f:
        json.dump(report, f, indent=2)
    lines = [f"# Peers on {report['device']} ({report['device_name']})", "",
             f"torch {report['torch']}, transformers {report['transformers']}, peft {report['peft']}, {report['threads']} threads; "
             f"{args.steps} timed steps after {args.warmup} warm-up steps.", "",
             "| shape | method | dtype | batch × length | step ms | peak MiB | trainable |", "|---|---|---|---|---|---|---|"]
    for r in results:
        peak = f"{r['peak_bytes'] / 2**20:.1f}" if r["peak_bytes"] is not None else "n/a"
        lines.append(f"| {r['shape']} | {r['method']} | {r['dtype']} | {r['batch']} × {r['length']} | {r['step_ms']:.2f} | {peak} | {r['trainable_parameters']:,} |")
    with open(os.path.join(args.out, "peers.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

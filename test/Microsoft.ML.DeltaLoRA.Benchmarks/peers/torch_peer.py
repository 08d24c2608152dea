#!/usr/bin/env python3
"""The PyTorch peer of the `peers` benchmark: BERT for sequence classification written plainly with torch.nn, LoRA as PEFT
writes it, the Delta-LoRA update with addmm_ as the paper states it, and torch.optim.AdamW. Benchmark only: the library and
its tests never use it.

Started by the benchmark as a child process and driven over stdin/stdout, one JSON object per line each way:
  {"cmd": "forward", "input_ids": [[...]], "attention_mask": [[...]]}  -> {"logits": [...], "last_hidden_state": [...]} (eval mode, flat)
  {"cmd": "prepare", "method": "LoRA|DeltaLoRA|Full", "batch": 16, "length": 128, "seed": 1, "dropout": null}  -> {"trainable": n}
      (dropout, when given, replaces every dropout probability, attention's too)
  {"cmd": "step"}  -> {"ms": wall, "cpu_ms": this process's CPU time, "loss": loss}
  {"cmd": "quit"}
Errors come back as {"error": "..."}.
"""
import argparse
import copy
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn


class LoRALinear(nn.Linear):
    """nn.Linear with an optional adapter: W x + b + s B A x, as PEFT's lora.Linear computes it (no adapter dropout)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.rank = 0

    def attach_adapter(self, rank, alpha):
        self.lora_A = nn.Parameter(torch.empty(rank, self.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank))
        self.rank, self.scaling = rank, alpha / rank

    def forward(self, x):
        result = F.linear(x, self.weight, self.bias)
        if self.rank:
            result = result + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling
        return result


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        types = torch.zeros_like(input_ids)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(types) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c["num_attention_heads"]
        self.query = LoRALinear(c["hidden_size"], c["hidden_size"])
        self.key = LoRALinear(c["hidden_size"], c["hidden_size"])
        self.value = LoRALinear(c["hidden_size"], c["hidden_size"])
        self.dropout_p = c["attention_probs_dropout_prob"]

    def forward(self, x, additive_mask):
        b, n, h = x.shape
        split = lambda t: t.view(b, n, self.heads, h // self.heads).transpose(1, 2)
        context = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)),
                                                 attn_mask=additive_mask, dropout_p=self.dropout_p if self.training else 0.0)
        return context.transpose(1, 2).reshape(b, n, h)


class ResidualOutput(nn.Module):
    def __init__(self, c, in_features):
        super().__init__()
        self.dense = LoRALinear(in_features, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = ResidualOutput(c, c["hidden_size"])

    def forward(self, x, mask):
        return self.output(getattr(self, "self")(x, mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = LoRALinear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = ResidualOutput(c, c["intermediate_size"])

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = LoRALinear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, input_ids, attention_mask):
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.embeddings(input_ids)
        for layer in self.encoder.layer:
            h = layer(h, additive)
        return h, self.pooler(h)


class BertForSequenceClassification(nn.Module):
    def __init__(self, c, num_labels=2):
        super().__init__()
        self.bert = Bert(c)
        dropout = c.get("classifier_dropout")
        self.dropout = nn.Dropout(c["hidden_dropout_prob"] if dropout is None else dropout)
        self.classifier = LoRALinear(c["hidden_size"], num_labels)

    def forward(self, input_ids, attention_mask):
        hidden, pooled = self.bert(input_ids, attention_mask)
        return self.classifier(self.dropout(pooled)), hidden


def load_model(config_path, weight_paths):
    """The model with every tensor from the given safetensors files (Hugging Face names; a sentence-transformers checkpoint
    without the "bert." prefix gets it). Every parameter must be found, and every tensor used."""
    with open(config_path) as f:
        config = json.load(f)
    state = {}
    for path in weight_paths:
        for name, tensor in load_file(path).items():
            if name.endswith("position_ids"):
                continue
            if not name.startswith(("bert.", "classifier.")):
                name = "bert." + name
            state[name] = tensor.float()
    model = BertForSequenceClassification(config, num_labels=state["classifier.weight"].shape[0])
    model.load_state_dict(state, strict=True)
    return model


class Trainer:
    """One method's training: adapters r 8, alpha 16 on query and value (LoRA, Delta-LoRA; the pooler and classifier train too),
    AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.01 except biases and LayerNorms), clipping at 1.0, Delta-LoRA lambda 0.5 from step 1."""

    def __init__(self, base, method, batch, length, seed, dropout=None, rank=8, alpha=16, update_ratio=0.5):
        self.model = copy.deepcopy(base)
        if dropout is not None:  # every dropout of the config replaced, as the library's dropoutOverride does
            for module in self.model.modules():
                if isinstance(module, nn.Dropout):
                    module.p = dropout
                if isinstance(module, SelfAttention):
                    module.dropout_p = dropout
        self.method = method
        torch.manual_seed(seed)
        adapted = []
        if method != "Full":
            for p in self.model.parameters():
                p.requires_grad_(False)
            for layer in self.model.bert.encoder.layer:
                for linear in (layer.attention.self.query, layer.attention.self.value):
                    linear.attach_adapter(rank, alpha)
                    adapted.append(linear)
            for p in list(self.model.bert.pooler.parameters()) + list(self.model.classifier.parameters()):
                p.requires_grad_(True)
        named = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
        decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
        self.parameters = decay + no_decay
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                           lr=5e-4, betas=(0.9, 0.999), eps=1e-8)
        self.adapted = adapted if method == "DeltaLoRA" else []
        self.previous = [(l.lora_A.detach().clone(), l.lora_B.detach().clone()) for l in self.adapted]
        self.update_ratio = update_ratio
        generator = torch.Generator().manual_seed(seed)
        vocab = self.model.bert.embeddings.word_embeddings.num_embeddings
        self.input_ids = torch.randint(1, vocab, (batch, length), generator=generator)
        self.attention_mask = torch.ones(batch, length, dtype=torch.int64)
        self.labels = torch.randint(0, 2, (batch,), generator=generator)
        self.model.train()

    def step(self):
        logits, _ = self.model(self.input_ids, self.attention_mask)
        loss = F.cross_entropy(logits, self.labels)
        value = loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.parameters, 1.0)
        self.optimizer.step()
        if self.adapted:
            self.delta_lora_update()
        self.optimizer.zero_grad()
        return value

    @torch.no_grad()
    def delta_lora_update(self):
        """W <- W + lambda * (alpha/r) * (B' A' - B A) (Zi et al. 2023, Algorithm 1), then remember A', B'."""
        for layer, (a, b) in zip(self.adapted, self.previous):
            factor = self.update_ratio * layer.scaling
            layer.weight.addmm_(layer.lora_B, layer.lora_A, alpha=factor)
            layer.weight.addmm_(b, a, alpha=-factor)
            a.copy_(layer.lora_A)
            b.copy_(layer.lora_B)

    def trainable(self):
        return sum(p.numel() for p in self.parameters)


def serve(model):
    trainer = None
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            cmd = request["cmd"]
            if cmd == "quit":
                break
            if cmd == "forward":
                model.eval()
                with torch.inference_mode():
                    logits, hidden = model(torch.tensor(request["input_ids"]), torch.tensor(request["attention_mask"]))
                reply = {"logits": logits.flatten().tolist(), "last_hidden_state": hidden.flatten().tolist()}
            elif cmd == "prepare":
                trainer = None
                trainer = Trainer(model, request["method"], request["batch"], request["length"], request.get("seed", 1),
                                  request.get("dropout"))
                reply = {"trainable": trainer.trainable()}
            elif cmd == "step":
                cpu, wall = time.process_time(), time.perf_counter()
                loss = trainer.step()
                reply = {"ms": (time.perf_counter() - wall) * 1000, "cpu_ms": (time.process_time() - cpu) * 1000, "loss": loss}
            else:
                reply = {"error": f"unknown command {cmd!r}"}
        except Exception as e:  # reported to the benchmark, which stops with the message
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="config.json of the BERT checkpoint")
    parser.add_argument("--weights", required=True, action="append", help="safetensors files; together they hold every tensor")
    parser.add_argument("--threads", type=int, required=True, help="torch.set_num_threads, the benchmark's own thread count")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.config, args.weights)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "interop_threads": torch.get_num_interop_threads()}), flush=True)
    serve(model)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Applies a PEFT LoRA adapter with PEFT itself and prints the logits, one JSON line.

The independent check of Microsoft.ML.DeltaLoRA's PEFT export (test/Microsoft.ML.DeltaLoRA.Tests/Export/PeftPythonCheckTests.cs):
the base loads as transformers' AutoModelForSequenceClassification, PeftModel.from_pretrained applies the adapter folder, and
each text is scored alone (no padding). Needs torch, transformers and peft; without them it prints {"skip": reason}.

    python3 peft_logits.py --base BASE_FOLDER --adapter ADAPTER_FOLDER --num-labels N --max-length 48 --texts texts.json
"""
import argparse
import json


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--num-labels", type=int, required=True)
    parser.add_argument("--max-length", type=int, required=True)
    parser.add_argument("--texts", required=True, help="a JSON file holding a list of strings")
    args = parser.parse_args()
    try:
        import peft
        import torch
        from peft import PeftModel
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as missing:
        print(json.dumps({"skip": f"python3 cannot import {missing.name} (torch, transformers and peft are needed)"}))
        return

    with open(args.texts, encoding="utf-8") as file:
        texts = json.load(file)
    tokenizer = AutoTokenizer.from_pretrained(args.base)
    base = AutoModelForSequenceClassification.from_pretrained(args.base, num_labels=args.num_labels)
    model = PeftModel.from_pretrained(base, args.adapter).eval()
    logits = []
    with torch.no_grad():
        for text in texts:
            encoded = tokenizer(text, truncation=True, max_length=args.max_length, return_tensors="pt")
            logits.append(model(**encoded).logits[0].tolist())
    print(json.dumps({"logits": logits, "peft": peft.__version__}))


if __name__ == "__main__":
    main()

// Embeds texts with the original USE-Lite TF.js graph and the reference tokenizer (@energetic-ai/embeddings).
// usage: node embed.js MODEL_DIR INPUT_JSON OUTPUT_JSON
//   INPUT_JSON:  {"texts": ["...", ...]}   (embedded as one batch)
//   OUTPUT_JSON: {"backend": "...", "ids": [[...], ...], "embeddings": [[512 numbers], ...]}
// The reference drops a batch's trailing rows that have no tokens (an empty text last), so callers must not end
// the batch with an empty text; this script fails rather than return fewer rows.
'use strict';
const fs = require('fs');
const path = require('path');
const core = require('@energetic-ai/core');
const { EmbeddingsModel } = require('@energetic-ai/embeddings');

async function main() {
  const [modelDir, inputPath, outputPath] = process.argv.slice(2);
  if (!modelDir || !inputPath || !outputPath) throw new Error('usage: node embed.js MODEL_DIR INPUT_JSON OUTPUT_JSON');
  const { texts } = JSON.parse(fs.readFileSync(inputPath, 'utf-8'));
  await core.ready();
  const model = await core.loadGraphModel(`file://${path.resolve(modelDir, 'model.json')}`);
  const vocabulary = JSON.parse(fs.readFileSync(path.resolve(modelDir, 'vocab.json'), 'utf-8'));
  const embedder = new EmbeddingsModel({ model, vocabulary });
  const ids = texts.map((t) => embedder.tokenizer.encode(t));
  const embeddings = await embedder.embed(texts);
  if (embeddings.length !== texts.length) {
    throw new Error(`the reference returned ${embeddings.length} rows for ${texts.length} texts (an empty text last?)`);
  }
  fs.writeFileSync(outputPath, JSON.stringify({ backend: core.getBackend(), ids, embeddings }));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});

// Maaza in the page: the base's GGUF file with the adapter as a GGUF LoRA file, run by llama.cpp compiled to
// WebAssembly (wllama), greedy, with decoding constrained to the JSON Schema by llama.cpp's own grammar engine.
//
// Usage: const maaza = await Maaza.load({ base, lora, onProgress }); const out = await maaza.extract(schema, text);

import { Wllama } from "@wllama/wllama";

import { buildMessages, readSchema, renderChatML } from "./prompt.js";

/** Fetch `url` as a Blob, reporting bytes as they arrive: an Error naming the URL when it cannot be had. */
async function download(url, onBytes) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not download ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length")) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onBytes(loaded, total);
  }
  return new Blob(chunks);
}

export const CONTEXT = 4096; // tokens of prompt and answer together

export class Maaza {
  constructor(wllama, threads) {
    this.wllama = wllama;
    this.threads = threads;
    this.context = CONTEXT;
  }

  /** Download the two files (progress: onProgress(fraction, message)) and load them into llama.cpp. */
  static async load({ base, lora, wasm = "./wllama.wasm", threads, onProgress = () => {} }) {
    const urls = lora ? [base, lora] : [base];
    const loaded = urls.map(() => 0);
    const totals = urls.map(() => 0);
    const blobs = await Promise.all(
      urls.map((url, i) =>
        download(url, (bytes, total) => {
          loaded[i] = bytes;
          totals[i] = total;
          const all = totals.reduce((a, b) => a + b, 0);
          const got = loaded.reduce((a, b) => a + b, 0);
          onProgress(all ? got / all : 0, `Downloading the model: ${(got / 1e6).toFixed(1)} of ${(all / 1e6).toFixed(1)} MB`);
        }),
      ),
    );
    onProgress(1, "Loading the model into llama.cpp (WebAssembly)…");
    const wllama = new Wllama({ default: new URL(wasm, document.baseURI).href }, { suppressNativeLog: true });
    const nThreads = threads ?? Math.max(1, navigator.hardwareConcurrency || 1);
    await wllama.loadModel(blobs, {
      n_ctx: CONTEXT,
      n_threads: nThreads,
      n_gpu_layers: 0,
      n_parallel: 1,
      n_batch: 512,
      n_ubatch: 512,
      lora_adapters: lora ? [{ path: "models/lora-00001.gguf", scale: 1.0 }] : undefined,
    });
    onProgress(1, "Model loaded: extraction now runs in this tab, with no server.");
    return new Maaza(wllama, wllama.isMultithread() ? nThreads : 1);
  }

  /** The prompt the model is given: the canonical EdgeJSON prompt in the bases' chat template. */
  prompt(schema, text) {
    return renderChatML(buildMessages(schema, text));
  }

  /**
   * Extract `schema` from `text`, greedily; constrained: only tokens that keep the answer valid against the schema.
   * onText(textSoFar) as tokens arrive. Returns {raw, value, error, finish ("stop": EOS, "length": maxTokens),
   * prompt, promptTokens (as llama.cpp tokenized the prompt), tokens, tokensPerSecond, seconds}.
   */
  async extract(schema, text, { constrained = false, maxTokens = 1024, onText = () => {} } = {}) {
    const document = readSchema(schema);
    if (!text.trim()) throw new Error("The text is empty: paste the text to extract from");
    const prompt = this.prompt(document, text);
    const started = performance.now();
    let raw = "";
    let last = null;
    await this.wllama.createCompletion({
      prompt,
      max_tokens: maxTokens,
      temperature: 0,
      top_k: 1,
      penalty_repeat: 1.0,
      ...(constrained ? { json_schema: document } : {}),
      stream: true,
      onData: (chunk) => {
        raw += chunk.choices?.[0]?.text ?? "";
        last = chunk;
        onText(raw);
      },
    });
    let value = null;
    let error = null;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      error = `The model's answer is not JSON: ${e.message}`;
    }
    const timings = last?.timings ?? {};
    return {
      raw,
      value,
      error,
      prompt,
      finish: last?.choices?.[0]?.finish_reason ?? null,
      promptTokens: last?.usage?.prompt_tokens ?? timings.prompt_n,
      tokens: last?.usage?.completion_tokens ?? timings.predicted_n,
      tokensPerSecond: timings.predicted_per_second,
      seconds: (performance.now() - started) / 1000,
    };
  }
}

// The page: pick or paste a schema, paste a text, extract in this tab. Model files: ?base=URL&lora=URL override the
// released GGUF build on the Hub (the tests serve a tiny model that way); ?threads=N sets llama.cpp's threads.
//
// The page also exposes `window.maaza` (the loaded model, or the load error) for the tests and the benchmark.

import { Maaza } from "./maaza.js";

const HUB = "https://huggingface.co/CycleCore/Maaza-MLM-135M-JSON/resolve/main/gguf-q8";
const DEFAULT_BASE = `${HUB}/smollm2-135m-instruct.gguf`;
const DEFAULT_LORA = `${HUB}/maaza-mlm-135m-json.lora-q8.gguf`;

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function show(element, message, kind = "") {
  element.textContent = message;
  element.className = kind;
}

async function loadExamples() {
  const examples = await (await fetch("./examples.json")).json();
  const picker = $("example");
  for (const [i, example] of examples.entries()) picker.add(new Option(`${example.band}: ${example.schema_id}`, i));
  const pick = () => {
    const example = examples[picker.value];
    $("schema").value = JSON.stringify(example.schema, null, 2);
    $("text").value = example.text;
  };
  picker.addEventListener("change", pick);
  pick();
}

async function main() {
  await loadExamples();
  const button = $("extract");
  const status = $("status");
  const progress = $("progress");
  try {
    window.maaza = await Maaza.load({
      base: params.get("base") ?? DEFAULT_BASE,
      lora: params.has("base") ? params.get("lora") : DEFAULT_LORA,
      threads: params.has("threads") ? Number(params.get("threads")) : undefined,
      onProgress: (fraction, message) => {
        progress.value = fraction;
        show(status, message);
      },
    });
  } catch (error) {
    window.maaza = { error: String(error.message ?? error) };
    show(status, `The model could not be loaded: ${window.maaza.error}`, "error");
    return;
  }
  button.disabled = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    show($("verdict"), "");
    $("answer").textContent = "";
    try {
      const out = await window.maaza.extract($("schema").value, $("text").value, {
        constrained: $("constrained").checked,
        onText: (raw) => ($("answer").textContent = raw),
      });
      $("answer").textContent = out.value ? JSON.stringify(out.value, null, 2) : out.raw;
      show(
        $("verdict"),
        out.error ?? `${out.tokens} tokens at ${out.tokensPerSecond?.toFixed(1)} tokens/s (prompt: ${out.promptTokens} tokens), ${out.seconds.toFixed(1)} s`,
        out.error ? "error" : "ok",
      );
    } catch (error) {
      show($("verdict"), String(error.message ?? error), "error");
    } finally {
      button.disabled = false;
    }
  });
}

main();

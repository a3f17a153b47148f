// The canonical EdgeJSON prompt, in JavaScript: a line-by-line counterpart of Python's `edgejson.prompt`
// (build_messages, schema_template) and of the ChatML chat template of Maaza's bases. A test renders every dataset
// schema through both and requires the same text and the same tokens.
//
// Usage: const prompt = renderChatML(buildMessages(schema, text));

export const SYSTEM_PROMPT =
  "Extract data from the text as one JSON object that follows the template: its keys, values of the stated " +
  "types copied from the text. Leave out an optional key the text does not give.";

export const MAX_SCHEMA_DEPTH = 64; // edgejson.answer.MAX_SCHEMA_DEPTH

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** JSON text as Python's `json.dumps(value, ensure_ascii=False)` writes it: ", " and ": " between items. */
export function pyDumps(value) {
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(", ")}]`;
  if (isObject(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${pyDumps(item)}`)
      .join(", ")}}`;
  }
  return JSON.stringify(value);
}

function depth(value) {
  let levels = 0;
  let level = [value];
  while (level.length) {
    levels += 1;
    level = level.flatMap((item) => (isObject(item) ? Object.values(item) : item)).filter((c) => c !== null && typeof c === "object");
  }
  return levels;
}

/** A schema document from JSON text (or an object): an Error saying what is wrong when it is unusable. */
export function readSchema(schema) {
  let value = schema;
  if (typeof schema === "string") {
    try {
      value = JSON.parse(schema);
    } catch (error) {
      throw new Error(`The schema is not JSON: ${error.message}`);
    }
  }
  if (!isObject(value)) throw new Error("The schema must be a JSON object (a JSON Schema with its properties)");
  if (depth(value) > MAX_SCHEMA_DEPTH) throw new Error(`the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels of JSON`);
  return value;
}

function leaf(schema) {
  if (has(schema, "enum")) {
    return "one of " + schema.enum.map((v) => (typeof v === "string" ? v : pyDumps(v))).join("|");
  }
  if (has(schema, "format")) return schema.format;
  const kind = has(schema, "type") ? schema.type : "any";
  return Array.isArray(kind) ? kind.join(" or ") : kind;
}

function template(schema) {
  if (typeof schema === "boolean") return "any";
  const kind = schema.type;
  if (kind === "object" || has(schema, "properties")) {
    const required = new Set(schema.required ?? []);
    const out = {};
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (sub === false) continue; // the key must not appear
      let value = template(sub);
      if (!required.has(key)) value = typeof value === "string" ? `${value}, optional` : { optional: value };
      out[key] = value;
    }
    return out;
  }
  if (kind === "array") {
    const items = has(schema, "items") ? schema.items : true;
    return items === false ? [] : [template(items)];
  }
  return leaf(schema);
}

/** The schema as the one-line typed template the model was trained on. */
export const schemaTemplate = (schema) => pyDumps(template(readSchema(schema)));

/** Chat messages asking the model to extract `schema` from `text`. */
export function buildMessages(schema, text) {
  const user = `Template:\n${schemaTemplate(schema)}\n\nText:\n${text}`;
  return [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: user },
  ];
}

/** The messages in ChatML, as Maaza's bases' chat template renders them, ready for the assistant's answer. */
export const renderChatML = (messages) =>
  messages.map(({ role, content }) => `<|im_start|>${role}\n${content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";

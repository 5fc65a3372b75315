"""All user-facing error messages of spacy_xlt, with codes prefixed "XLT".

Follows the ``ErrorsWithCodes`` pattern of spaCy/weasel: ``Errors.E001`` returns the
message prefixed with its code, so messages stay greppable and never clash with spaCy's.
"""


class ErrorsWithCodes(type):
    def __getattribute__(self, code):
        msg = super().__getattribute__(code)
        if code.startswith("__"):  # python system attributes like __class__
            return msg
        return f"[XLT{code}] {msg}"


class XLTError(ValueError):
    """Base class of the errors spacy_xlt raises for bad input."""


class Errors(metaclass=ErrorsWithCodes):
    # labels / tags (001-019)
    E001 = "Invalid tag {tag!r} at token {index} of {record}: {why}"
    E002 = "Unknown tag scheme {scheme!r}: expected one of {options}."
    E003 = "Label map entry {entry!r} is not of the form LABEL=Name."
    E004 = "Label map names the same {side} {name!r} twice; a label map must be one-to-one."
    E005 = "Spans overlap in {record}: {a} and {b}. Inline tagging needs non-overlapping spans."
    E006 = "Span {span} is outside the {n} tokens of {record}."
    E007 = "The number of words ({n_words}) and tags ({n_tags}) differ in {record}."

    # corpora (020-039)
    E020 = "{path}:{line}: malformed line {text!r}: {why}"
    E021 = "File not found: {path}"
    E022 = "{path}: no sentences found; is this the right file and format ({fmt})?"
    E023 = "{path}: could not parse XML: {why}"
    E024 = "{path}: sentence {sid!r}: target {target!r} at characters {start}-{end} does not match the text there ({found!r})."
    E025 = "Unknown corpus format {fmt!r} for {path}: expected one of {options}."
    E026 = "{path}: sentence {sid!r}: target {target!r} at characters {start}-{end} does not start and end on token boundaries of the tokenized text."
    E027 = "{path} is a folder; pass a file (`spacy xlt convert` also takes a folder: INPUT_DIR OUTPUT_DIR)."
    E028 = "{path}:{line}:{column}: not UTF-8 text (byte 0x{byte}). Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 FILE > NEW`) or fix that byte."
    E029 = "{path}: sentence {sid!r}: {why}"
    E030 = "Invalid {name} {value!r}: expected {options}."

    # parallel pairs (040-059)
    E040 = "Source and target differ in length: {n_src} source docs in {src} but {n_tgt} target records in {tgt}."
    E041 = "{path}:{line}: empty target sentence for source doc {index} ({src_text!r}). Remove the pair or pass --skip-empty."
    E042 = "Doc {index} has no source side: it is not a parallel pair (set one with spacy_xlt.pairs.make_pair)."
    E043 = "Invalid source record on doc {index}: {why}"

    # evaluation (060-079)
    E060 = "Gold and predicted corpora differ in length: {n_gold} gold vs {n_pred} predicted documents."
    E061 = "Tokens differ between gold and prediction in document {index} at token {position}: gold {gold!r} vs predicted {pred!r}. Projection evaluation needs identical target tokens."
    E062 = "Unknown evaluation mode {mode!r}: expected one of {options}."
    E063 = "Tag {tag!r} at token {index} of {side} sentence {sentence} is not an IOB2 tag (O, B-X or I-X). Convert other schemes with spacy_xlt.labels.to_iob2 first."
    E064 = "Sentence {sentence} has {n_gold} gold tags but {n_pred} predicted tags."
    E065 = "Projected document {index} has no source side while document {first} has one: either every projected document is a parallel pair or none is."
    E066 = "Sentence {index} differs between gold and prediction at token {position}: {gold_path}:{gold_line} has {gold}, {pred_path}:{pred_line} has {pred}. Gold and predicted files need the same sentences and tokens."
    E067 = "{path}:{line}: the {side} tag {tag!r} is not of the {scheme} scheme that strict scoring reads here (tags O, {allowed}). Strict scoring is seqeval's mode=strict in the gold file's scheme (IOB2 for B-/I- tags, IOBES for S-/E-, BILOU for U-/L-), for both files: rewrite the file in that scheme, or score with --mode default."

    # CLI / IO (080-099)
    E080 = "Cannot infer the format of {path}; pass --format (one of {options})."
    E081 = "Output file {path} exists; pass --overwrite to replace it."
    # spacy xlt predict / results / subset (082-095)
    E082 = "--set takes KEY=VALUE with KEY a config path (e.g. components.xlt_tagger.constrained=false, or aligner.symmetrization=union in spacy xlt project); got {item!r}."
    E083 = "Could not load the pipeline {model!r} (a saved pipeline folder or an installed package): {why}"
    E084 = "The config overrides {overrides} do not fit the pipeline {model!r}: {why}. Check the --set keys and values against the pipeline's config.cfg."
    E085 = "{what} {value!r} contains {{lang}}, which only --langs replaces: pass --langs L1,L2 or write the path out."
    E086 = "With several languages ({langs}) {what} must contain {{lang}}, or every language would write the same file {value!r}."
    E087 = "{option} lists nothing ({value!r}): give comma-separated values."
    E088 = "{option} names {item!r} twice."
    E089 = "Missing evaluation file {path} (method {method!r}, language {lang!r}): it is written by {step}; run that step first."
    E090 = "{path} is not an evaluation file of `spacy xlt evaluate --output`: {why}."
    E091 = "Invalid method {item!r} in --methods: expected ID or ID=Display name, where ID names the folder METRICS_DIR/ID."
    E092 = "--limit must be >= 0 (0 keeps every document), got {limit}."
    E093 = "No .spacy files under {path}."
    E094 = "{path} is a folder, so it must be the only INPUT (OUTPUT is then a folder too); got {n} inputs."
    E095 = "OUTPUT {path} is a folder; with file inputs OUTPUT must be a .spacy file."
    E099 = "{option} needs {needs}."

    # markup (100-119)
    E100 = "Label {label!r} in {record} has the tag name {name!r}, which cannot be written as a tag: a name must be non-empty, must not start with '/' and must not contain whitespace, '<', '>' or a backslash. Give it another name in the label map (LABEL=Name)."
    E101 = "Label {label!r} in {record} has the tag name {name!r}, but that name reads back as the label {back!r}, so tagged text could not be decoded. Give one of them another name in the label map."
    E102 = "Unknown spacing {spacing!r} of tagged text: expected one of {options}."
    E103 = "{record} is not valid tagged text at character {pos}: {why}. Near: {context!r}"
    E104 = "{record} is not a tagging of the given words: {why}."
    E105 = "Invalid escape {seq!r} at character {pos} of {record}: expected one of {options}."

    # testing helpers: tiny models and generated text (120-139)
    E120 = "Unknown tiny model kind {kind!r}: expected one of {options}."
    E121 = "Unknown tiny model size {size!r}: expected one of {options}."
    E122 = "Invalid tiny model shape {shape}: {why}"
    E123 = "{path} exists but is not a tiny model built by spacy_xlt.testing {version} (no valid {marker}). Remove it or use another cache folder."
    E124 = "Building tiny models needs {package} ({why}); install it with `pip install {package}`."
    E125 = "Unknown language {lang!r} for generated text: expected one of {options}."
    E126 = "Number of generated sentences must be >= 0, got {n}."
    E127 = "model_vocab_size={model_vocab_size} is smaller than the tokenizer's {n_tokens} tokens."

    # word alignments and alignment projection (140-159)
    E140 = "{record}: {item!r} is not a Pharaoh link: expected i-j with 0-based word indices (no probability suffix, no 'p' links)."
    E141 = "{record}: link {item!r} points to {side} word {index}, but that sentence has {n} words."
    E142 = "{path} has {n_lines} alignment lines but there are {n_pairs} sentence pairs; line i must align sentence pair i."
    E143 = "Invalid {name} {value!r} for alignment projection: expected {options}."
    E144 = "Source span {span} of {record} is not a span of its source tokens (0 <= start < end <= {n})."
    E145 = "Link {link} of {record} is out of range: the pair has {n_source} source and {n_target} target tokens."
    E146 = "{what} differ in length: {n_a} vs {n_b} sentences; sentence i of each must be the same pair."
    E147 = "source_words of {record} has {n_words} words but n_source is {n_source}: give the source sentence's words, or its number of words, not both with different lengths."

    # statistical aligner (160-179)
    E160 = "Unknown statistical alignment model {model!r}: expected one of {options}."
    E161 = "Unknown symmetrization {value!r}: expected one of {options}."
    E162 = "Invalid {name} {value!r} for the statistical aligner: expected {options}."
    E163 = "{path}:{line}: not a parallel text line 'source words ||| target words': {text!r}"
    E164 = "{what} {index} is not valid: {why}. Give (source words, target words) pairs, each side a list of strings."
    E165 = "Unknown iteration stage {key!r} for the {model} model: expected some of {options}."
    E166 = "Unknown parameter {key!r} for the {model} model: expected some of {options}."
    E167 = "The statistical aligner has no trained model to {what}: call align(pairs) or fit(pairs) first, or load one with from_disk(path)."
    E168 = "{path} is not a saved statistical aligner: {why}."

    # embedding encoders and embedding aligners (180-199)
    E180 = "Unknown dtype {dtype!r}: expected one of {options}."
    E181 = "Layer {layer} is out of range for {name}: the model has {n_layers} layers, so hidden_states has indices 0..{n_layers} (0 = the embedding output) or -{n_states}..-1."
    E182 = "{name} has no fast tokenizer ({cls}); mapping pieces to words needs the word_ids() of a fast (Rust) tokenizer. Convert it (e.g. with `tokenizers`) or use a model that ships tokenizer.json."
    E183 = "Sentence {index} ({preview!r}) has {n_pieces} pieces, more than max_length={max_length}. Split the sentence, raise max_length, or set on_long=\"truncate\" (pieces beyond max_length are dropped and their words left unaligned, and counted)."
    E184 = "Invalid {name} {value!r}: expected {options}."
    E185 = "Invalid device {device!r}: expected \"cpu\", \"cuda\", \"cuda:N\", \"mps\" or a GPU index (int; -1 for CPU)."
    E186 = "Could not load the encoder {name!r} (a Hugging Face model name or a local folder): {why}"
    E187 = "A similarity matrix must be 2-D with finite values; got {what}."
    E188 = "The encoder returned {got} for sentence {index}, which has {n_words} words: expected an array of shape (n_words, hidden)."
    E189 = "The encoder must have an embed(word_lists) method (spacy_xlt.backends.encoder.Encoder){also}; got {obj}."
    E190 = "Word {position} of sentence {index} is not a string: {word!r}."
    E191 = "The encoder returned {got} results for {n} sentences: expected one per sentence, in order."

    # sample data and visualisation (200-219)
    E200 = "{path}:{line}: invalid sample record: {why}"
    E201 = "There is no bundled sample for target language {lang!r} (bundled: {options}); pass the path of a JSONL file."
    E202 = "The gold file has {n_gold} documents but the pairs file has {n_pairs}; document i of each must be the same sentence."
    E203 = "Tokens differ between pair {index} and its gold document at token {position}: pair {pred!r} vs gold {gold!r}. The gold file must hold the same target sentences, tokenized the same way."
    E204 = "--limit must be a positive number of pairs, got {limit}."
    E205 = "{path} holds no documents: nothing to visualise."

    # pipes (220-239)
    E220 = "The aligner must have an align(pairs) method (spacy_xlt.ty.Aligner); got {obj}."
    E221 = "Unknown projection method {method!r}: expected one of {options}."
    E222 = "--alignments is needed with --method alignments (a Pharaoh file, one line per pair)."

    # translator and T-Projection (280-319)
    E280 = "Unknown translator style {style!r}: expected one of {options}."
    E281 = "Language {lang!r} cannot be used with {style} translation models: {why}. Pass the model's own code (e.g. hau_Latn for NLLB, ha for M2M100) to translate through a related language."
    E282 = "Could not load the translation model {name!r} (a Hugging Face model name or a local folder): {why}"
    E283 = "Invalid {name} {value!r}: expected {options}."
    E284 = "Text {index} is not a string: {text}."
    E285 = "Sources and targets differ in length: {n_src} sources but {n_tgt} targets; target i must be scored against source i."
    E286 = "The {what} has no entry for {key}: every input a test uses must be in its table."
    E287 = "The scorer must have a score(sources, targets, src, tgt) method (spacy_xlt.backends.translator.Translator); got {obj}."
    E288 = "Could not load the T-Projection generator {name!r} (a Hugging Face seq2seq model name or a local folder): {why}"
    E289 = "The component {name!r} has no generator yet: call nlp.initialize() (which loads the generator named in the config) before using or training it."
    E290 = "{path}: the resume file is from another job: {why}. Rerun with the settings it was started with to continue its work, or pass --restart to discard it and start over."
    E291 = "{path}:{line}: unreadable resume record ({why}). Only a broken last line (a crash while writing) is dropped by itself; pass --restart to discard the file and start over."
    E293 = "The generator returned {got} candidate lists for {n} inputs: expected one list per input, in order."
    E295 = "The component {name!r} needs the target language: set target_lang (an ISO 639 code such as \"ha\", or the translator's own code) in its config; the pipeline's language is \"xx\"."
    E296 = "--method tprojection needs --generator: a fine-tuned T-Projection generator (a Hugging Face seq2seq folder or name) or a saved pipeline with an xlt_tprojection component."

    # Hugging Face backends, trainer and the pipes built on them (320-339)
    E320 = "Could not load the {role} {name!r} (a Hugging Face model name or a local folder): {why}"
    E321 = "The {role} {name!r} has not been loaded yet: call nlp.initialize() (the only step that may download it) or load a saved pipeline (spacy.load)."
    E322 = "{path} is not a saved spacy_xlt backend: {why}. It is written by the component's to_disk (spacy.load reads it)."
    E323 = "Invalid {name} {value!r} for the trainer (spacy_xlt.Trainer.v1): expected {options}."
    E324 = "The trainer has no model to train yet: the component binds it in initialize (call nlp.initialize() before training)."
    E325 = "{path} is not a saved {name!r} component: {why}"
    E326 = "Invalid {name} {value!r} for the component {component!r}: expected {options}."
    E327 = "The component {component!r} cannot train: its {role} {name!r} has no trainable weights (a CTranslate2 backend runs converted weights). Train with the Hugging Face backend, then switch to the CTranslate2 one to project."
    # projector configs: spacy xlt project / align (330-339)
    E330 = "{path}: not a projector config: {why}. Give a config file with a [projector] block (factory = \"xlt_alignment_projector\" or \"xlt_tprojection\" and its settings) or a pipeline config with one projector component."
    E331 = "Cannot set {key!r}: {part!r} is a value, not a section of the projector config."
    E332 = "The {factory} settings do not fit: {why}. Check the --config file and the --set keys against the component's settings (spacy_xlt README, \"spacy xlt project\")."
    E333 = "{name!r} is not a saved pipeline with one projector component (a folder with config.cfg, or an installed pipeline package, holding xlt_alignment_projector or xlt_tprojection)."
    E334 = "`spacy xlt align` needs an xlt_alignment_projector block with an aligner; the config's projector is {factory!r}."
    E335 = "{path} has {n_lines} alignment lines but {n_pairs} pairs were projected with it; line i must align pair i."

    # files and outputs (340-359)
    E340 = "Output {path} is the input {input}: writing it would destroy the input. Give another output path."
    E341 = "Output {path} cannot be written: {parent} is a file, not a folder."
    E342 = "Output {path} is {what}; give {wanted}."
    E343 = "Output {path} cannot be written: {why}"
    E344 = "{path} is not a readable .spacy file (DocBin): {why}. Was it written completely, by spaCy or spacy_xlt? Rewrite it (e.g. with `spacy xlt convert`)."
    E345 = "Cannot read {path}: {why}"
    E346 = "{path} is binary data ({what}), not UTF-8 text. {hint}"
    E347 = "{path}:{line}:{column}: not valid JSON: {why}."
    E348 = "Output folder {path} is {where} the input folder {input}: a later run would read its files as inputs, and an output could replace an input. Give an output folder outside {input}."
    E349 = "Cannot tell how to read {path}: {why}. Pass {option} to say what it is ({options})."
    E350 = "{path} does not look like a CoNLL/IOB file: {why}. Pass --format conll to read it as one anyway (one token per line, WORD ... TAG), or give a corpus file (CoNLL/IOB, quality TSV, SemEval XML or .spacy)."
    E351 = "{gold} has {n_gold} documents but {pairs} has {n_pairs}; document i of each must be the same sentence."
    E352 = "{a} and {b} would both be written to {output}; convert them one by one (or rename one of them)."
    E353 = "No corpus files in {path}: with --format auto, files of no corpus format (and .spacy files) are skipped; pass --format to convert them."

    # resume files and output locks (390-409)
    E390 = "Another run is writing {output}: its lock {lock} is held. Wait for that run to end (or stop it), or write to another output path. The lock goes with the run that holds it, also when it is killed."
    E391 = "{path} is an empty resume file: it holds no job and no finished work. Pass --restart to discard it (or remove the file)."
    E392 = "{path} is not a spacy_xlt resume file ({why}). Pass --restart to discard it (or remove the file, or write to another output path)."
    E393 = "{path} was written by another version of spacy_xlt, in a resume format this version does not read. Pass --restart to discard it and start over (or finish the job with that version)."
    E394 = "Cannot write the resume file {path}: {why}"
    E395 = "{path}: the resume file holds {done} finished items but the job has {total}: it does not belong to this input. Pass --restart to discard it."

    # text-to-text tagger and constrained decoding (240-279)
    E240 = "The automaton for {record} cannot be built: {what} encodes to no token ids. Every word and tag must encode to at least one id."
    E241 = "Token ids {ids} are not a constrained tagging of {record}: the automaton rejects id {token} at position {pos}."
    E242 = "The logits processor got {rows} rows for {n} inputs with num_beams={num_beams}: expected batch_size * num_beams rows, in generate()'s order."
    E243 = "Invalid {name} {value!r} for the text-to-text tagger: expected {options}."
    E244 = "Could not load the text-to-text model {name!r} (a Hugging Face model name or a local folder): {why}"
    E245 = "The text-to-text model {name!r} has not been loaded yet: call nlp.initialize() (which may download it) or load a saved pipeline (spacy.load)."
    E246 = "The tag {tag!r} encodes to {pieces} with the tokenizer of {name!r}, which contains the unknown token, so the model could never write it. Set add_tag_tokens = true (adds the tags to the vocabulary and resizes the embeddings)."
    E247 = "The prompt template {template!r} must contain '{{text}}' (and may contain '{{labels}}')."
    E248 = "The text-to-text tagger has no labels: give `labels` in the config or initialize it with examples that have {where}."
    E249 = "{path} is not a saved text-to-text tagger: {why}"
    E250 = "Example {index} has the label {label!r}, which the tagger does not know (labels: {labels}). Add it to `labels` and re-initialize."
    E251 = "Unknown model kind {kind!r} for {name!r}: expected one of {options} (auto = from the model config)."

    # constrained decoding: the logits processor (420-429)
    E420 = "Unknown method {method!r} of the constrained logits processor: expected one of {options}."

    # long inputs: windows and chunks (370-389)
    E370 = "Invalid window overlap {value!r}: expected a number in [0, 1) (the share of a window that consecutive windows have in common)."

    # marker-based projection (EasyProject, CODEC) and translate-test (480-519)
    E480 = "The marker-insertion automaton for {record} cannot be built: {what}."
    E481 = "{insertion} is not a marker pair the insertion automaton of {record} accepts: markers go to the token boundaries {options}, the opening one before the closing one."
    E482 = "CODEC inserts markers inside generate() and scores by forced decoding, so it needs a Hugging Face translation model (spacy_xlt.Translator.v1); the translator {name!r} ({kind}) has no {what}."
    E483 = "The marker {marker!r} encodes to no token ids with the tokenizer of {name!r} (or only to its unknown token); choose markers its vocabulary has (EasyProject and CODEC use [ and ])."
    E484 = "Invalid markers {open!r} and {close!r}: two different non-empty strings without whitespace are needed."
    E486 = "The source pipeline {name!r} of {component} could not be loaded: {why}. Give a pipeline package name or folder (e.g. en_core_web_lg after `python -m spacy download en_core_web_lg`)."
    E487 = "{component} has not been initialized: its source pipeline {name!r} is not loaded. Call nlp.initialize() (which loads the source pipeline and the models) or load a saved pipeline (spacy.load)."
    E488 = "The projector block of {component} needs factory = one of {options}; got {factory!r}."
    E489 = "The projector block of {component} (factory {factory!r}) has the setting {key!r}, which that factory does not take; it takes {options}."
    E490 = "{path} is not a saved {component} component: {why}"
    E491 = "The label map of {component} maps {label!r} to {value!r}: both must be non-empty strings."
    E492 = "The source pipeline of {component} writes spans to {where}, but its pipeline {name!r} has no component that sets them: set source_spans_key (doc.spans key, e.g. \"sc\" for spancat) or leave it null for doc.ents."

    # CTranslate2 backends (440-459)
    E440 = "{what} needs CTranslate2, which is not installed: pip install \"spacy-xlt[ct2]\" (or pip install \"{requirement}\")."
    E441 = "Invalid compute_type {value!r} for the CTranslate2 {role}: expected one of {options}."
    E442 = "The CTranslate2 {role} {name!r} cannot compute in {compute_type} on {device}: this CTranslate2 build supports {options} there (\"default\": the stored weights' type)."
    E443 = "Invalid device {device!r} for the CTranslate2 {role}: expected \"cpu\", \"cuda\", \"cuda:N\" or a GPU index (int; -1 for CPU)."
    E444 = "The CTranslate2 {role} {name!r} is set to run on {device}, but CTranslate2 sees {count} CUDA device(s) on this machine."
    E445 = "Could not convert the {role} {name!r} to CTranslate2: {why}"
    E446 = "Could not load the CTranslate2 {role} from {path}: {why}"
    E447 = "The CTranslate2 vocabulary of {name!r} does not match its tokenizer at id {index} (tokenizer: {token!r}, CTranslate2: {ct2!r}): token strings would map to other ids."
    E448 = "The {role} {name!r} runs on CTranslate2 and cannot {what}: fine-tune a spacy_xlt.Seq2SeqGenerator.v1 generator (spacy train), then project with spacy_xlt.CT2Generator.v1 named after the trained generator's folder."
    E449 = "The CTranslate2 {role} {name!r} does not support {what}."
    E450 = "The CTranslate2 files of the {role} {name!r} were read from {path}, which no longer holds them; save the pipeline before deleting or overwriting the one it was loaded from."

    # pair files: the user data of a .spacy file (430-439)
    E430 = "{path}: the user data of doc {index} cannot be read ({why}). The file is damaged or was not written by spaCy or spacy_xlt; rewrite it."

    # scale-out on Ray: --ray (520-539)
    E520 = "{what} needs Ray, which is not installed ({why}): pip install \"spacy-xlt[ray]\" (or pip install \"{requirement}\"), or run without --ray."
    E521 = "Could not connect to Ray at {address!r}: {why}. Start a cluster (`ray start --head`, then --ray auto), give its address (HOST:6379 or ray://HOST:10001), or pass --ray local to start Ray on this machine."
    E522 = "Invalid {name} {value!r}: expected {options}."
    E523 = "The Ray cluster has {have} {what}, and one actor needs {need} ({option}): start nodes with more, or ask for less."
    E524 = "A Ray actor failed ({type}): {why}\nIts traceback:\n{traceback}"
    E525 = "The Ray run returned {got} of its {n} chunks; rerun the command to continue after the last finished one."
    E526 = "project_file(ray=...) needs recipe: the projector as each Ray actor builds it again (spacy_xlt.projectors.projector_recipe(nlp, pipe))."

    # spacy xlt predict --side source, spacy xlt subset's pair filters (460-479)
    E460 = "Invalid --side {value!r}: expected target (annotate the Docs themselves) or source (annotate the source side of each parallel pair)."
    E461 = "{path}: doc {index} is not a parallel pair (no source side), so {what} cannot read its source side; pairs are written by spacy xlt pair, translate and project."
    E462 = "{path}: doc {index} has no projection record (doc.user_data[\"xlt_projection\"]), so --drop-lost cannot tell whether a source span was lost: pass pairs written by spacy xlt project, or use --require-equal-counts, which compares span counts."
    E463 = "--only-dropped keeps the pairs that a filter drops: give --drop-lost and/or --require-equal-counts."
    E464 = "--skip must be >= 0 (0 skips nothing), got {skip}."

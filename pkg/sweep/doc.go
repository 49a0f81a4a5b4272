// Package sweep runs resumable grids of training runs (the granularity sweep of the coarse-label
// study: labels -> train -> features -> eval) and gathers their alignment scores into one tidy table.
//
// # Config (YAML or JSON)
//
//	name: quick                  # required; default output folder runs/<name> (one path element)
//	out: runs/quick              # optional default output folder (CLI --out overrides)
//	label_sources: [fine-net]    # axis: fine-net | pixels | untrained-net | path/to/embedding.npy
//	granularity: [2, 4, 8, 16, 32, 64, fine, untrained]   # axis: powers of two (K <= 2^pcs) and/or the baselines (fine, untrained, ssl)
//	seeds: [1]                   # axis
//	archs:                       # axis
//	  - {name: alexnet-bn, width: 0.25, input_size: 32}   # name: alexnet-bn | vgg-bn | vit; width default 1
//	                             # (alexnet-bn: 1/128..4; vit has none); init: torch (default) | he-normal
//	labels: {pcs: 6, source_epochs: 2, source_seed: 0}    # PCA median-split settings (pcs 1..8)
//	        # source_arch: {name: vgg-bn, width: 0.25}: the fine-net/untrained-net source's architecture
//	        # (default: each run's own)
//	train:  {epochs: 2, steps: 0, batch: 64, lr: 5e-4, weight_decay: 1e-3, warmup_epochs: 0.2,
//	         label_smoothing: 0.1, clip_norm: 1, augment: false}
//	data:   {source: cifar10, per_class: 200, val_fraction: 0.2, split_seed: 42}
//	        # or {source: images, path: imagenet/train, ...}: class-folder layout under the data dir
//	eval:   {bootstrap: 100, splits: 20, seed: 0, max_triplets: 0,
//	         metrics: [spearman, tau-a],  # pkg/metric names (default); e.g. corr, cka-linear, encoding
//	         targets: [{name: V4, responses: v4.npy}, {name: mine, rdm: mine.npy}]}  # own data, 92 stimuli
//
// Parse reports every problem of a config at once, in one *ConfigError whose Problems name
// their fields ("archs[0].width"). Unknown keys are errors, and so is an explicit zero that a
// default would otherwise replace (width: 0, val_fraction: 0, pcs: 0, splits: 0): an omitted
// field takes its default, a given one is what runs. Parse checks no file; Config.Check and
// Runner.Execute (before its first stage, for the runs not done yet) also check what the runs
// need from disk (CheckRuns: the image folders and data.per_class against the class sizes, .npy
// label sources and eval targets by their headers) and log warnings for settings that are
// capped or have no effect. Expand turns the grid into runs in a fixed order: arch, then
// granularity (config order), then label source (K runs only: the fine and untrained baselines
// do not depend on it), then seed. The untrained baseline carries a zero training budget so that
// changing the budget does not change its identity.
//
// # Identity and layout
//
// A run's ID is the first 12 hex digits of the SHA-256 of its canonical config (JSON, keys sorted,
// see Run.Canonical). Its artifacts live in <out>/runs/<id>/: run.json, the stages' artifacts
// (e.g. labels, checkpoint/, features, curve.jsonl, scores.jsonl), one stage-<name>.done marker per
// finished stage, and the done marker, written last. Every file is written atomically (temporary
// file in the same folder, fsync, rename, fsync of the folder); temporary names start with ".tmp-"
// and are never read. A process works on a run under an flock(2) on <run>/lock, which the kernel
// releases when the process dies: after kill -9 the run is pending again and a re-run resumes it
// from its first unfinished stage, skipping runs whose done marker exists.
//
// # Sharding
//
// Shard{I, N} (CLI --shard i/n) keeps the runs whose index i satisfies index mod N == I
// (round-robin). Shards may share one output folder (the locks keep them apart) or use separate
// ones; Collect merges folders and orders rows by run index, so the merged table is identical to
// an unsharded run's.
//
// # Results table
//
// One row per run x layer x target x metric x split, columns Columns: run_id, run_index, label_source,
// k (2..64, fine, untrained), seed, arch, width, input_size, epochs, steps, batch, data, per_class,
// layer, target, metric, split (all: a layer's score on all stimuli; half: the layer selected on
// one half of the stimuli scored on the other), value, ci_low, ci_high, sd, ceiling_low,
// ceiling_high, selected, n, note. Missing
// numbers (e.g. the ceiling of a single-subject target) are empty in CSV and null in JSON lines.
package sweep

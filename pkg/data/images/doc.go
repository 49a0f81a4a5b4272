// Package images is the training-image pipeline of coarsealign: it reads
// image data sets, decodes them once into a compact uint8 cache, and produces
// normalised, augmented float32 batches for training. It does not import GoMLX;
// the training code wraps the batches into tensors.
//
// # Data sets
//
// A Dataset holds N images of H x W RGB pixels as one uint8 slice in NHWC
// order (Pix, length N*H*W*3), an int32 class label per image, the class
// names, and a relative path per image (its ID). Readers:
//
//   - LoadFolder(root, Options): the ImageFolder layout root/<class>/**/*.{jpg,jpeg,png}
//     (the ImageNet/torchvision layout). Classes are the sub-directories of root
//     sorted by name; label i is Classes[i]. Images are resized so the shorter
//     side is Options.Size and centre-cropped to Size x Size (bilinear,
//     antialiased when downscaling; golang.org/x/image/draw.BiLinear), decoded in
//     parallel, and cached on disk when Options.CacheDir is set. JPEG colour is
//     converted as libjpeg (and so PIL and torchvision) converts it by default
//     (Options.JPEG, JPEGLibjpeg; JPEGGo keeps Go's own conversion).
//   - LoadCIFAR(dir, CIFAR10|CIFAR100Fine|CIFAR100Coarse, train): the official
//     CIFAR binary files (data_batch_1..5.bin / test_batch.bin; train.bin /
//     test.bin for CIFAR-100), 32 x 32.
//   - FetchCIFAR(dataDir, CIFAR10Source): downloads and unpacks the official
//     archive, verifying the MD5 published on the CIFAR page (see CIFAR10Source).
//
// Corrupt or unreadable images are reported by path: with Options.Policy ==
// FailCorrupt (the default) loading fails with an error naming the file; with
// SkipCorrupt the image is dropped and listed in Dataset.Skipped. Decoders never
// panic the caller: a panicking decoder is reported as a corrupt file.
//
// # Cache
//
// With Options.CacheDir set, LoadFolder keeps one file per (source path,
// output size, corrupt policy, JPEG conversion), valid for one file list: the cache key also
// hashes every image's relative path, byte size and modification time, and a
// changed list rebuilds and overwrites the file. The file holds the N*H*W*3
// pixel bytes at a page-aligned offset followed by a JSON header (classes,
// labels, paths, stats, skipped files). It is written atomically (temporary
// file + rename), and on Unix the pixels are decoded straight into a mapping of
// the file, so a data set larger than memory can be cached. Later runs map the
// pixels (copy-on-write: writes to Pix never reach the file; other platforms
// read them with one read) and never decode again. Dataset.Close releases the
// mapping. CacheKey tells the key.
//
// # Normalisation and augmentation
//
// Stats holds the per-channel mean and standard deviation of the pixels in
// [0,1] units; LoadFolder/LoadCIFAR compute it over the loaded images and
// Subset recomputes it over the subset, so Stats of the training subset is the
// one to use for every split (pass it in BatchConfig.Stats). Augment is the
// study's augmentation (StudyAugment: horizontal flip with p = 0.5, rotation by
// an angle uniform in [-10, +10] degrees, bilinear, counter-clockwise positive,
// pixels from outside the image filled with black (as torchvision's
// RandomRotation) or with the data-set mean (FillMean)).
//
// # Splits and subsets
//
// SplitIndices gives a fixed seeded train/test split (the study: 80/20 with
// seed 42, StudySplitSeed) for data without a test split. SubsetPerClass picks
// n images per class, seeded and nested (a larger n keeps the smaller subset).
// WithLabels replaces the class labels by an external label vector aligned by
// index (e.g. coarse PCA labels from pkg/coarse); AlignLabels aligns an
// external vector given by IDs (paths) to the data set's order.
//
// # Batches
//
// Dataset.Batches(epoch, BatchConfig) returns an Iterator whose Next yields
// Batch values: Images float32 [B, H, W, 3] (NHWC, row-major, normalised as
// (pixel/255 - mean)/std), Labels int32 [B], and the data-set indices. A
// background goroutine prepares up to BatchConfig.Prefetch batches ahead
// (bounded channel). The order of an epoch is a permutation seeded by
// (Seed, epoch), and each image's augmentation is seeded by (Seed, epoch,
// position in the epoch), so the same seed gives the same batches whatever the
// number of workers. Iterator.WaitTime reports how long Next blocked waiting
// for data, so a trainer can compare data time with step time.
package images

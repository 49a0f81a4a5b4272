package images

import (
	"path/filepath"
	"testing"
)

// BenchmarkDecodeFolder decodes the 10,000 CIFAR-10 test JPEGs (no cache).
func BenchmarkDecodeFolder(b *testing.B) {
	dir := cifarJPG(b, "test")
	for b.Loop() {
		if _, err := LoadFolder(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkCacheLoad loads the 10,000 CIFAR-10 test images from a warm cache
// (includes listing the folder to compute the cache key).
func BenchmarkCacheLoad(b *testing.B) {
	dir := cifarJPG(b, "test")
	opts := Options{CacheDir: b.TempDir()}
	if _, err := LoadFolder(dir, opts); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ds, err := LoadFolder(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		ds.Close()
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "images/s")
}

func benchBatches(b *testing.B, aug *Augment, workers int) {
	ds, err := LoadFolder(cifarJPG(b, "test"), Options{CacheDir: filepath.Join(b.TempDir())})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		it, err := ds.Batches(0, BatchConfig{BatchSize: 32, Shuffle: true, Seed: 1, Augment: aug, Indices: SubsetPerClass(ds.Labels, 100, 1), Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		for bt, ok := it.Next(); ok; bt, ok = it.Next() {
			n += bt.Size
			it.Recycle(bt)
		}
		it.Close()
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkBatches produces normalised 32x32 batches of 32 (1,000 images per op).
func BenchmarkBatches(b *testing.B) { benchBatches(b, nil, 1) }

// BenchmarkBatchesAugment adds the study's flip + rotation augmentation.
func BenchmarkBatchesAugment(b *testing.B) { benchBatches(b, &StudyAugment, 1) }

// BenchmarkBatchesAugment2 is BenchmarkBatchesAugment with 2 workers per batch.
func BenchmarkBatchesAugment2(b *testing.B) { benchBatches(b, &StudyAugment, 2) }

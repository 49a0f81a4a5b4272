package models_test

import (
	"fmt"

	"github.com/coarsealign/coarsealign/pkg/models"
)

// The study's AlexNet-BN for K = 8 coarse classes, CPU variant at 32x32 and half width.
func ExampleDefaultAlexNetBN() {
	s := models.DefaultAlexNetBN(8, 32, 0.5)
	fmt.Println(s.ConvChannels(), s.HiddenFC())
	fmt.Println(s.TapNames())
	// Output:
	// [32 96 192 128 128] 2048
	// [conv1.pre conv1.post conv2.pre conv2.post conv3.pre conv3.post conv4.pre conv4.post conv5.pre conv5.post fc6.pre fc6.post fc7.pre fc7.post]
}

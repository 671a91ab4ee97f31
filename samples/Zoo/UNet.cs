using Strider;

namespace Strider.Samples.Zoo;

/// <summary>
/// The original U-Net (Ronneberger, Fischer and Brox 2015): valid 3x3 convs, 2x2 max pools, 2x2 up-convolutions
/// halving the channels, and crop-and-concat skips; one input channel, two output classes; 572x572 gives 388x388.
/// The input is free: the analyzer states the valid sizes, 188 + 16n (572 is n = 24), the output being 184 smaller.
/// The crops are the same at every valid size (4, 16, 40 and 88 on each side, from the deepest skip up).
/// </summary>
[Network, Input(1, Dim.Any, Dim.Any)]
[DoubleConv("down1", 64), MaxPool(2, Name = "pool1"), DoubleConv("down2", 128), MaxPool(2, Name = "pool2")]
[DoubleConv("down3", 256), MaxPool(2, Name = "pool3"), DoubleConv("down4", 512), MaxPool(2, Name = "pool4")]
[DoubleConv("bottom", 1024)]
[Deconv(512, 2, Stride = 2, Name = "up4"), Crop(4, From = "down4", Name = "skip4"), Concat("skip4", "up4", Name = "cat4"), DoubleConv("up4conv", 512)]
[Deconv(256, 2, Stride = 2, Name = "up3"), Crop(16, From = "down3", Name = "skip3"), Concat("skip3", "up3", Name = "cat3"), DoubleConv("up3conv", 256)]
[Deconv(128, 2, Stride = 2, Name = "up2"), Crop(40, From = "down2", Name = "skip2"), Concat("skip2", "up2", Name = "cat2"), DoubleConv("up2conv", 128)]
[Deconv(64, 2, Stride = 2, Name = "up1"), Crop(88, From = "down1", Name = "skip1"), Concat("skip1", "up1", Name = "cat1"), DoubleConv("up1conv", 64)]
[Conv(2, 1, Name = "out")]
public partial class UNet;

/// <summary>Two valid 3x3 convs with ReLU: each U-Net level.</summary>
[Input(1, 572, 572)] // checked on its own at its defaults: down1's input at the paper's 572x572
[Conv(channels, 3, Name = "conv1"), Relu(Name = "relu1"), Conv(channels, 3, Name = "conv2"), Relu(Name = "relu2")]
public sealed class DoubleConv : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> with <paramref name="channels"/> channels.</summary>
    public DoubleConv(string name, int channels) : base(name) { }

    const int channels = 64;
}

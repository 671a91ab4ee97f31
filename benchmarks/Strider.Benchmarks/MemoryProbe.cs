using System.Diagnostics;
using System.Globalization;
using Strider.Devices;

namespace Strider.Benchmarks;

/// <summary>
/// The original U-Net (the zoo's samples/Zoo/UNet.cs, the same layers): valid 3x3 convs, 2x2 max pools, 2x2
/// up-convolutions and crop-and-concat skips; 572x572 gives 388x388.
/// </summary>
[Network, Input(1, Dim.Any, Dim.Any)]
[UNetLevel("down1", 64), MaxPool(2, Name = "pool1"), UNetLevel("down2", 128), MaxPool(2, Name = "pool2")]
[UNetLevel("down3", 256), MaxPool(2, Name = "pool3"), UNetLevel("down4", 512), MaxPool(2, Name = "pool4")]
[UNetLevel("bottom", 1024)]
[Deconv(512, 2, Stride = 2, Name = "up4"), Crop(4, From = "down4", Name = "skip4"), Concat("skip4", "up4", Name = "cat4"), UNetLevel("up4conv", 512)]
[Deconv(256, 2, Stride = 2, Name = "up3"), Crop(16, From = "down3", Name = "skip3"), Concat("skip3", "up3", Name = "cat3"), UNetLevel("up3conv", 256)]
[Deconv(128, 2, Stride = 2, Name = "up2"), Crop(40, From = "down2", Name = "skip2"), Concat("skip2", "up2", Name = "cat2"), UNetLevel("up2conv", 128)]
[Deconv(64, 2, Stride = 2, Name = "up1"), Crop(88, From = "down1", Name = "skip1"), Concat("skip1", "up1", Name = "cat1"), UNetLevel("up1conv", 64)]
[Conv(2, 1, Name = "out")]
public partial class ZooUNet;

/// <summary>Two valid 3x3 convs with ReLU: each U-Net level.</summary>
[Conv(channels, 3, Name = "conv1"), Relu(Name = "relu1"), Conv(channels, 3, Name = "conv2"), Relu(Name = "relu2")]
public sealed class UNetLevel : BlockAttribute
{
    /// <summary>A use named <paramref name="name"/> with <paramref name="channels"/> channels.</summary>
    public UNetLevel(string name, int channels) : base(name) { }

    const int channels = 64;
}

/// <summary>
/// `memory W4|W5|U572`: what one inference Forward allocates (issue 15), in a fresh process per workload: the bytes of
/// device buffers allocated through the device (parameters at construction, then the network's own buffers), every
/// managed byte allocated (the CPU workspaces and packed weights too), and the process's peak working set.
/// </summary>
public static class MemoryProbe
{
    public static void Run(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W5";
        using var device = new ProfilingDevice(Workloads.Threads);
        long gc0 = GC.GetTotalAllocatedBytes(true);
        var (net, forward, plan) = Create(name, device);
        long parameters = device.AllocatedBytes;
        long gc1 = GC.GetTotalAllocatedBytes(true);
        forward();
        long first = device.AllocatedBytes - parameters;
        long gc2 = GC.GetTotalAllocatedBytes(true);
        forward();
        long second = device.AllocatedBytes - parameters - first;
        long gc3 = GC.GetTotalAllocatedBytes(true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        static string M(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";
        Console.WriteLine($"{name}: parameters and the input (device) {M(parameters)}, construction (managed) {M(gc1 - gc0)}");
        Console.WriteLine($"  first inference Forward: device buffers {M(first)}, managed (buffers + workspaces + packed weights) {M(gc2 - gc1)}");
        Console.WriteLine($"  second Forward: device buffers {M(second)}, managed {M(gc3 - gc2)}");
        Console.WriteLine($"  process peak working set {M(self.PeakWorkingSet64)}");
        Console.WriteLine("  the network's own account (Memory):");
        Console.WriteLine("  " + plan.ToString().Replace("\n", "\n  "));
        net.Dispose();
    }

    private static (INetwork Net, Action Forward, NetworkMemory Plan) Create(string name, Device device)
    {
        switch (name)
        {
            case "W4":
            {
                var net = new Ddae(device, seed: 2) { Training = false };
                var x = Tensor<S1xAnyxAny>.From(device, new float[1565 * 1565], 1565, 1565);
                return (net, () => net.Forward(x), Ddae.Memory(1, 1565, 1565));
            }
            case "W5":
            {
                var net = new TorchResNet18(device, seed: 1) { Training = false };
                var x = Tensor<S3x224x224>.From(device, new float[3 * 224 * 224]);
                return (net, () => net.Forward(x), TorchResNet18.Memory(1));
            }
            case "U572":
            {
                var net = new ZooUNet(device, seed: 1) { Training = false };
                var x = Tensor<S1xAnyxAny>.From(device, new float[572 * 572], 572, 572);
                return (net, () => net.Forward(x), ZooUNet.Memory(1, 572, 572));
            }
            default: throw new ArgumentException($"memory: unknown workload '{name}' (W4, W5 or U572).");
        }
    }
}

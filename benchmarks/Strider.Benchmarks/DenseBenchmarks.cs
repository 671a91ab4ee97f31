using BenchmarkDotNet.Attributes;
using Strider.Devices;

namespace Strider.Benchmarks;

/// <summary>
/// Every 28x28 window of an image classified: ForwardDense in one pass against the strided Forward run on the input
/// shifted by (dy, dx) for every dy &lt; 4, dx &lt; 4 (the 4 shifts along a 28-high strip, the 16 shifts on a taller
/// image), each shifted input cropped to the largest valid size beforehand (not timed). Batch 1, CPU device.
/// </summary>
[MemoryDiagnoser]
public class DenseBenchmarks
{
    private const int Stride = 4, Field = 28;

    /// <summary>Image height x width: a 28x280 strip (dense 1x253) or a 40x280 image (dense 13x253).</summary>
    [Params("28x280", "40x280")]
    public string Image { get; set; } = "28x280";

    private SlidingLeNet _net = null!;
    private Tensor<S1xAnyxAny> _image = null!;
    private readonly List<Tensor<S1xAnyxAny>> _shifted = new();

    [GlobalSetup]
    public void Setup()
    {
        var parts = Image.Split('x');
        int h = int.Parse(parts[0]), w = int.Parse(parts[1]);
        _net = new SlidingLeNet(Device.Default, 1) { Training = false };
        var rng = new Random(1);
        var x = new float[h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        _image = Tensor<S1xAnyxAny>.From(Device.Default, x, h, w);
        for (int dy = 0; dy < Stride; dy++)
            for (int dx = 0; dx < Stride; dx++)
            {
                int sh = Largest(h - dy), sw = Largest(w - dx);
                if (sh == 0 || sw == 0) continue;
                var window = new float[sh * sw];
                for (int r = 0; r < sh; r++) Array.Copy(x, (dy + r) * w + dx, window, r * sw, sw);
                _shifted.Add(Tensor<S1xAnyxAny>.From(Device.Default, window, sh, sw));
            }
        Console.WriteLine($"// {Image}: {_shifted.Count} shifted strided runs; dense output {string.Join("x", _net.ForwardDense(_image).Dims.ToArray())}");
    }

    private static int Largest(int available) => available < Field ? 0 : Field + Stride * ((available - Field) / Stride);

    [Benchmark(Baseline = true, Description = "shifted strided runs")]
    public float ShiftedStridedRuns()
    {
        float sum = 0;
        foreach (var t in _shifted) sum += _net.Forward(t).Batch;
        _net.Device.Synchronize();
        return sum;
    }

    [Benchmark(Description = "ForwardDense, one pass")]
    public int Dense()
    {
        int batch = _net.ForwardDense(_image).Batch;
        _net.Device.Synchronize();
        return batch;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _net.Dispose();
        _image.Dispose();
        foreach (var t in _shifted) t.Dispose();
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

public sealed class CpuDeviceOpTests : DeviceOpTests
{
    protected override Device CreateDevice() => new CpuDevice();

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public void Convolution_is_deterministic_across_calls_and_thread_counts(int n)
    {
        // 3 images of 23x21 outputs: one GEMM per image; 40 images of 3x2 outputs: the batch shares the GEMM's columns.
        var g = n == 3 ? Conv(16, 23, 21, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1) : Conv(16, 7, 5, 24, 3, 3, sh: 2, sw: 2);
        var rng = new Random(20);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize);
        float[][] Run(Device device)
        {
            var bx = device.Allocate<float>(x.Length); bx.Upload(x);
            var bw = device.Allocate<float>(w.Length); bw.Upload(w);
            var bdy = device.Allocate<float>(dy.Length); bdy.Upload(dy);
            var y = device.Allocate<float>(dy.Length);
            var dx = device.Allocate<float>(x.Length);
            var dw = device.Allocate<float>(w.Length);
            device.ConvForward(g, n, bx, bw, null, y);
            device.ConvBackwardData(g, n, bdy, bw, dx, false);
            device.ConvBackwardWeights(g, n, bx, bdy, dw, null);
            return [y.ToArray(), dx.ToArray(), dw.ToArray()];
        }
        var first = Run(Device);
        var second = Run(Device);
        using var single = new CpuDevice(1);
        var third = Run(single);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(first[i], second[i]);
            Assert.Equal(first[i], third[i]);
        }
    }

    /// <summary>W7's conv kinds at batch 8 with fewer channels: backward data by the flipped forward, weights split over taps.</summary>
    public static TheoryData<string> TrainingGeometries => new()
    {
        "3x3 pad 1 on 7x7", "3x3 pad 1 on 14x14", "3x3 stride 2 pad 1, 14x14 -> 7x7", "1x1 stride 2, 14x14 -> 7x7", "1x1 stride 2, 64 channels (8 tap panels)",
        "7x7 stride 2 pad 3 stem",
    };

    private static ConvGeometry TrainingGeometry(string name) => name switch
    {
        "3x3 pad 1 on 7x7" => Conv(24, 7, 7, 40, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1),
        "3x3 pad 1 on 14x14" => Conv(20, 14, 14, 36, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1),
        "3x3 stride 2 pad 1, 14x14 -> 7x7" => Conv(20, 14, 14, 40, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1),
        "1x1 stride 2, 14x14 -> 7x7" => Conv(136, 14, 14, 40, 1, 1, sh: 2, sw: 2),
        "1x1 stride 2, 64 channels (8 tap panels)" => Conv(64, 28, 28, 40, 1, 1, sh: 2, sw: 2),
        _ => Conv(3, 40, 40, 16, 7, 7, sh: 2, sw: 2, pt: 3, pb: 3, pl: 3, pr: 3),
    };

    [Theory]
    [MemberData(nameof(TrainingGeometries))]
    public void Training_passes_are_bit_identical_for_one_two_and_three_threads(string name)
    {
        var g = TrainingGeometry(name);
        const int n = 8;
        var rng = new Random(21);
        float[] x = Uniform(rng, n * g.InputSize), w = Uniform(rng, g.WeightSize), dy = Uniform(rng, n * g.OutputSize);
        float[] dx0 = Uniform(rng, n * g.InputSize), dw0 = Uniform(rng, g.WeightSize);
        float[][] Run(int threads)
        {
            using var device = new CpuDevice(threads);
            var bx = device.Allocate<float>(x.Length); bx.Upload(x);
            var bw = device.Allocate<float>(w.Length); bw.Upload(w);
            var bdy = device.Allocate<float>(dy.Length); bdy.Upload(dy);
            var dx = device.Allocate<float>(x.Length); dx.Upload(dx0);
            var dxSum = device.Allocate<float>(x.Length); dxSum.Upload(dx0);
            var dw = device.Allocate<float>(w.Length); dw.Upload(dw0);
            device.ConvBackwardData(g, n, bdy, bw, dx, accumulate: false);
            device.ConvBackwardData(g, n, bdy, bw, dxSum, accumulate: true);
            device.ConvBackwardWeights(g, n, bx, bdy, dw, null);
            return [dx.ToArray(), dxSum.ToArray(), dw.ToArray()];
        }
        var one = Run(1);
        var two = Run(2);
        var three = Run(3);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(one[i], two[i]);
            Assert.Equal(one[i], three[i]);
        }
        // And right: against the reference device.
        var reference = Reference;
        var rx = reference.Allocate<float>(x.Length); rx.Upload(x);
        var rw = reference.Allocate<float>(w.Length); rw.Upload(w);
        var rdy = reference.Allocate<float>(dy.Length); rdy.Upload(dy);
        var rdx = reference.Allocate<float>(x.Length); rdx.Upload(dx0);
        var rdw = reference.Allocate<float>(w.Length); rdw.Upload(dw0);
        reference.ConvBackwardData(g, n, rdy, rw, rdx, accumulate: true);
        reference.ConvBackwardWeights(g, n, rx, rdy, rdw, null);
        AssertClose(rdx.ToArray(), one[1], $"{name}: backward data, accumulating");
        AssertClose(rdw.ToArray(), one[2], $"{name}: weight gradient");
    }

    [Fact]
    public void Buffer_of_a_non_host_device_is_rejected_with_its_name()
    {
        var foreign = new ForeignBuffer(Reference, 4);
        var ex = Assert.Throws<ArgumentException>(() => Device.Add(4, foreign, foreign, Device.Allocate<float>(4)));
        Assert.Contains("reference", ex.Message);
    }

    /// <summary>A buffer that does not live in host memory, as a GPU device's would not.</summary>
    private sealed class ForeignBuffer(Device device, long length) : DeviceBuffer<float>(device, length)
    {
        public override void Upload(ReadOnlySpan<float> source, long offset = 0) { }
        public override void Download(Span<float> destination, long offset = 0) { }
        protected override void Release() { }
    }

    [Fact]
    public void Too_small_buffer_is_reported()
    {
        var ex = Assert.Throws<ArgumentException>(() => Device.Add(8, Device.Allocate<float>(4), Device.Allocate<float>(8), Device.Allocate<float>(8)));
        Assert.Contains("holds 4", ex.Message);
    }
}

public sealed class DeviceFactoryTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" CPU ")]
    public void Cpu_is_the_default(string? name)
    {
        using var device = DeviceFactory.Create(name);
        Assert.IsType<CpuDevice>(device);
        Assert.Matches("^cpu#[0-9]+$", device.Name);
    }

    [Fact]
    public void Each_CPU_device_has_its_own_name_and_the_default_is_plainly_cpu()
    {
        using var a = new CpuDevice(1);
        using var b = new CpuDevice();
        using var c = DeviceFactory.Create("cpu");
        string[] names = [a.Name, b.Name, c.Name];
        Assert.All(names, n => Assert.Matches("^cpu#[0-9]+$", n));
        Assert.Equal(3, names.Distinct().Count());
        using var fallback = DeviceFactory.CreateDefault(null);
        Assert.Equal("cpu", fallback.Name);
    }

    [Fact]
    public void Unknown_name_lists_known_devices()
    {
        var ex = Assert.Throws<ArgumentException>(() => DeviceFactory.Create("tpu"));
        Assert.Contains("'tpu'", ex.Message);
        Assert.Contains(DeviceFactory.KnownNames, ex.Message);
    }
}

public sealed class CpuDeviceConcurrencyTests
{
    /// <summary>Conv forward, backward data and weights, max pool and a dense layer on the caller's own buffers.</summary>
    private static float[][] Work(Device device, int seed)
    {
        var g = Conv(6, 17, 15, 9, 3, 3, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1);
        const int n = 3;
        var rng = new Random(seed);
        DeviceBuffer<float> Buffer(long count)
        {
            var b = device.Allocate<float>(count);
            b.Upload(Uniform(rng, count));
            return b;
        }
        var x = Buffer(n * g.InputSize);
        var w = Buffer(g.WeightSize);
        var y = Buffer(n * g.OutputSize);
        var dx = Buffer(n * g.InputSize);
        var dw = Buffer(g.WeightSize);
        var pool = Pool(g.OutChannels, g.OutH, g.OutW, 2, 2, 2, 2);
        var pooled = Buffer(n * pool.OutputSize);
        var switches = device.Allocate<int>(n * pool.OutputSize);
        var dense = Buffer(40 * 33);
        var dw2 = Buffer(33 * 21);
        var dy2 = Buffer(40 * 21);
        device.ConvForward(g, n, x, w, null, y);
        device.ConvBackwardData(g, n, y, w, dx, accumulate: false);
        device.ConvBackwardWeights(g, n, x, y, dw, null);
        device.MaxPoolForward(pool, n, y, pooled, switches);
        device.DenseForward(40, 33, 21, dense, dw2, null, dy2);
        device.ActivationBackward(Activation.Relu, n * g.InputSize, dx, dx, dx, dx, accumulate: true);
        return [y.ToArray(), dx.ToArray(), dw.ToArray(), pooled.ToArray(), dy2.ToArray()];
    }

    [Fact]
    public void Two_threads_sharing_a_device_both_get_the_sequential_results()
    {
        using var device = new CpuDevice(2);
        var expected = new[] { Work(device, 1), Work(device, 2) };
        const int rounds = 25;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int r = 0; r < rounds; r++)
            {
                var got = Work(device, t + 1);
                for (int i = 0; i < got.Length; i++)
                    if (!got[i].AsSpan().SequenceEqual(expected[t][i])) failures.Enqueue($"thread {t}, round {r}, output {i} differs from the sequential run");
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Empty(failures);
    }

    [Fact]
    public void Op_on_a_disposed_device_is_reported()
    {
        var device = new CpuDevice(2);
        var x = device.Allocate<float>(4 * 8 * 8);
        var y = device.Allocate<float>(4 * 4 * 4);
        device.Dispose();
        device.Dispose();
        var ex = Assert.Throws<ObjectDisposedException>(() => device.MaxPoolForward(Pool(4, 8, 8, 2, 2, 2, 2), 1, x, y, null));
        Assert.Contains("disposed", ex.Message);
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using static Strider.Runtime.Tests.TestData;

namespace Strider.Runtime.Tests;

public sealed class CpuDeviceOpTests : DeviceOpTests
{
    protected override Device CreateDevice() => new CpuDevice();

    [Fact]
    public void Convolution_is_deterministic_across_calls_and_thread_counts()
    {
        var g = Conv(16, 23, 21, 24, 3, 3, pt: 1, pb: 1, pl: 1, pr: 1);
        const int n = 3;
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
        Assert.Equal("cpu", device.Name);
    }

    [Fact]
    public void Unknown_name_lists_known_devices()
    {
        var ex = Assert.Throws<ArgumentException>(() => DeviceFactory.Create("tpu"));
        Assert.Contains("'tpu'", ex.Message);
        Assert.Contains(DeviceFactory.KnownNames, ex.Message);
    }
}

using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Devices.Gpu;
using Strider.IO;
using Strider.Runtime.Tests.Training;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>
/// Every host-device copy and buffer op after a device, a network or a buffer was disposed throws
/// <see cref="ObjectDisposedException"/>, on ILGPU (where the freed memory made ILGPU fail the process with an
/// uncatchable "Sub view out of range" assertion) and on the CPU device alike.
/// </summary>
public sealed class DisposedDeviceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strider-disposed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Devices => ["cpu", "ilgpu-cpu"];

    private static Device Create(string kind) => kind == "cpu" ? new CpuDevice(threads: 1) : IlgpuDevice.CreateCpuSimulator();

    /// <summary>Runs every action and names each one that did not throw <see cref="ObjectDisposedException"/>.</summary>
    private static void AllThrowObjectDisposed(IEnumerable<(string Name, Action Act)> actions)
    {
        var wrong = new List<string>();
        foreach (var (name, act) in actions)
        {
            var e = Record.Exception(act);
            if (e is not ObjectDisposedException) wrong.Add($"{name}: {(e is null ? "no exception" : $"{e.GetType().Name}: {e.Message}")}");
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    /// <summary>The host-device copies and ops a user or weight I/O can reach with a tensor, a buffer and a network.</summary>
    private IEnumerable<(string, Action)> Uses(Device device, DeviceBuffer<float> buffer, DeviceBuffer<int> labels, Tensor<Features4> tensor, FakeNetwork net, string savedPath)
    {
        var values = new float[8];
        yield return ("buffer.ToArray", () => buffer.ToArray());
        yield return ("buffer.Download", () => buffer.Download(values));
        yield return ("buffer.Download at an offset", () => buffer.Download(values.AsSpan(0, 2), 4));
        yield return ("buffer.Download of nothing", () => buffer.Download(Span<float>.Empty));
        yield return ("buffer.Upload", () => buffer.Upload(values));
        yield return ("buffer.Upload at an offset", () => buffer.Upload(values.AsSpan(0, 2), 6));
        yield return ("int buffer.ToArray", () => labels.ToArray());
        yield return ("int buffer.Upload", () => labels.Upload([1, 2]));
        yield return ("tensor.ToArray", () => tensor.ToArray());
        yield return ("tensor.CopyFrom", () => tensor.CopyFrom(values, 2));
        yield return ("tensor.Buffer", () => _ = tensor.Buffer);
        yield return ("device.Fill", () => device.Fill(buffer, 0, 8, 1f));
        yield return ("device.Copy", () => device.Copy(buffer, 0, buffer, 4, 4, accumulate: false));
        yield return ("parameter.Value.ToArray", () => net.Parameters[0].Value.ToArray());
        yield return ("SafeTensors.Save to a stream", () => SafeTensors.Save(net, new MemoryStream()));
        yield return ("SafeTensors.Save to a path", () => SafeTensors.Save(net, Path.Combine(_dir, "new.safetensors")));
        yield return ("SafeTensors.Save over a file", () => SafeTensors.Save(net, savedPath));
        yield return ("SafeTensors.Load from a path", () => SafeTensors.Load(net, savedPath));
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Every_copy_and_op_after_the_device_is_disposed_throws_ObjectDisposedException(string kind)
    {
        var device = Create(kind);
        var buffer = device.Allocate<float>(8);
        var labels = device.Allocate<int>(2);
        var tensor = Tensor<Features4>.From(device, [1, 2, 3, 4, 5, 6, 7, 8]);
        var net = FakeNetwork.Small(device);
        net.FillDistinct(3);
        string saved = Path.Combine(_dir, "saved.safetensors");
        SafeTensors.Save(net, saved);
        var before = File.ReadAllBytes(saved);

        device.Dispose();

        var uses = Uses(device, buffer, labels, tensor, net, saved).ToList();
        uses.Add(("device.Allocate", () => device.Allocate<float>(4)));
        uses.Add(("Tensor.From", () => Tensor<Features4>.From(device, [1, 2, 3, 4])));
        uses.Add(("Tensor.Zeros", () => Tensor<Features4>.Zeros(device, 1)));
        AllThrowObjectDisposed(uses);
        Assert.True(buffer.IsDisposed);
        Assert.Equal(before, File.ReadAllBytes(saved));
        Assert.Equal(["saved.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));

        // Disposing what the device owned afterwards is harmless, in any order.
        tensor.Dispose();
        net.Dispose();
        buffer.Dispose();
        labels.Dispose();
        device.Dispose();
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Every_copy_and_op_on_a_disposed_network_or_buffer_throws_ObjectDisposedException(string kind)
    {
        using var device = Create(kind);
        var buffer = device.Allocate<float>(8);
        var labels = device.Allocate<int>(2);
        var tensor = Tensor<Features4>.From(device, [1, 2, 3, 4, 5, 6, 7, 8]);
        var net = FakeNetwork.Small(device);
        string saved = Path.Combine(_dir, "saved.safetensors");
        SafeTensors.Save(net, saved);
        var before = File.ReadAllBytes(saved);

        buffer.Dispose();
        labels.Dispose();
        tensor.Dispose();
        net.Dispose();

        AllThrowObjectDisposed(Uses(device, buffer, labels, tensor, net, saved));
        Assert.Equal(before, File.ReadAllBytes(saved));
        Assert.Equal(["saved.safetensors"], Directory.GetFiles(_dir).Select(Path.GetFileName));
        // The device itself is still usable.
        using var fresh = device.Allocate<float>(2);
        fresh.Upload([1f, 2f]);
        Assert.Equal([1f, 2f], fresh.ToArray());
    }

    [Theory]
    [MemberData(nameof(Devices))]
    public void Out_of_range_copies_and_fills_throw_ArgumentOutOfRangeException_and_empty_ones_at_the_end_do_nothing(string kind)
    {
        // ILGPU asserts (ending the process) on a bad sub-view and the CPU device would write outside its array, so
        // every range is checked first, without overflow: offsets below 0, past the end, and huge enough to wrap a sum.
        using var device = Create(kind);
        using var buffer = device.Allocate<float>(8);
        buffer.Upload([1, 2, 3, 4, 5, 6, 7, 8]);
        var two = new float[2];
        var bad = new List<(string, Action)>();
        foreach (long offset in new[] { -1L, 7L, 9L, long.MaxValue, long.MaxValue - 1, long.MinValue })
        {
            bad.Add(($"Download at {offset}", () => buffer.Download(two, offset)));
            bad.Add(($"Upload at {offset}", () => buffer.Upload(two, offset)));
            bad.Add(($"Fill at {offset}", () => device.Fill(buffer, offset, 2, 0f)));
            bad.Add(($"Copy from {offset}", () => device.Copy(buffer, offset, buffer, 0, 2, accumulate: false)));
            bad.Add(($"Copy to {offset}", () => device.Copy(buffer, 0, buffer, offset, 2, accumulate: false)));
        }
        bad.Add(("Fill of -1 values", () => device.Fill(buffer, 0, -1, 0f)));
        bad.Add(("Copy of -1 values", () => device.Copy(buffer, 0, buffer, 0, -1, accumulate: false)));
        var wrong = new List<string>();
        foreach (var (name, act) in bad)
        {
            var e = Record.Exception(act);
            if (e is not ArgumentOutOfRangeException) wrong.Add($"{name}: {(e is null ? "no exception" : $"{e.GetType().Name}: {e.Message}")}");
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));

        buffer.Download(Span<float>.Empty, 8);
        buffer.Upload(ReadOnlySpan<float>.Empty, 8);
        device.Fill(buffer, 8, 0, -1f);
        device.Copy(buffer, 8, buffer, 0, 0, accumulate: false);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], buffer.ToArray());
    }

    [Fact]
    public void The_message_says_the_device_was_disposed()
    {
        var device = IlgpuDevice.CreateCpuSimulator();
        var tensor = Tensor<Features4>.From(device, [1, 2, 3, 4]);
        device.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => tensor.ToArray());
        Assert.Contains("device 'ilgpu-cpu#", e.Message);
    }
}

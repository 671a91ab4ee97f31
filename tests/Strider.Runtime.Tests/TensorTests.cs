using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests;

/// <summary>Two channels of any height by 5, for the views' checks of rank, fixed sizes and free sizes.</summary>
public readonly struct Plane2xAnyx5 : IShape
{
    public static ReadOnlySpan<int> Dims => [2, Dim.Any, 5];
}

/// <summary>
/// Tensor's factories and accessors reject wrong ranks and sizes with an ArgumentException (or ArgumentOutOfRange) that
/// names the shape type, its rank or dimension and the dims given, never an IndexOutOfRangeException from inside.
/// </summary>
public sealed class TensorTests : IDisposable
{
    private readonly CpuDevice _device = new(1);

    public void Dispose() => _device.Dispose();

    [Theory]
    [InlineData(new[] { 2, 3 })]
    [InlineData(new[] { 2, 3, 5, 1 })]
    [InlineData(new int[0])]
    public void View_of_the_wrong_rank_names_the_shape_its_rank_and_the_dims(int[] dims)
    {
        using var buffer = _device.Allocate<float>(1000);
        var ex = Assert.Throws<ArgumentException>(() => Tensor<Plane2xAnyx5>.View(buffer, 1, dims));
        Assert.Contains(nameof(Plane2xAnyx5), ex.Message);
        Assert.Contains("rank 3", ex.Message);
        Assert.Contains($"{dims.Length} dims were given: [{string.Join(", ", dims)}]", ex.Message);
        Assert.Equal("dims", ex.ParamName);
    }

    [Theory]
    [InlineData(new[] { 3, 4, 5 }, "dimension 0 of Plane2xAnyx5 (2xAnyx5) is 2")]
    [InlineData(new[] { 2, 4, 6 }, "dimension 2 of Plane2xAnyx5 (2xAnyx5) is 5")]
    [InlineData(new[] { 2, 0, 5 }, "dimension 1 of Plane2xAnyx5 must be at least 1")]
    public void View_with_a_wrong_size_names_the_dimension(int[] dims, string expected)
    {
        using var buffer = _device.Allocate<float>(1000);
        var ex = Assert.Throws<ArgumentException>(() => Tensor<Plane2xAnyx5>.View(buffer, 1, dims));
        Assert.Contains(expected, ex.Message);
        Assert.Contains($"[{string.Join(", ", dims)}]", ex.Message);
    }

    [Fact]
    public void View_checks_the_batch_and_the_buffer_length()
    {
        using var buffer = _device.Allocate<float>(40);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor<Plane2xAnyx5>.View(buffer, 0, 2, 4, 5));
        var ex = Assert.Throws<ArgumentException>(() => Tensor<Plane2xAnyx5>.View(buffer, 2, 2, 4, 5));
        Assert.Contains("needs 80 values; the buffer holds 40", ex.Message);
        Assert.Throws<ArgumentNullException>(() => Tensor<Plane2xAnyx5>.View(buffer, 1, null!));
        using var view = Tensor<Plane2xAnyx5>.View(buffer, 1, 2, 4, 5);
        Assert.Equal(new[] { 2, 4, 5 }, view.Dims.ToArray());
    }

    [Fact]
    public void Rebind_checks_as_View_and_keeps_the_view_on_its_device()
    {
        using var buffer = _device.Allocate<float>(100);
        using var view = Tensor<Plane2xAnyx5>.View(buffer, 1, 2, 4, 5);
        var rank = Assert.Throws<ArgumentException>(() => view.Rebind(buffer, 1, [2, 4]));
        Assert.Contains("Rebind: Plane2xAnyx5 has rank 3", rank.Message);
        Assert.Contains("dimension 2 of Plane2xAnyx5", Assert.Throws<ArgumentException>(() => view.Rebind(buffer, 1, [2, 4, 4])).Message);
        Assert.Contains("needs 200 values; the buffer holds 100", Assert.Throws<ArgumentException>(() => view.Rebind(buffer, 2, [2, 10, 5])).Message);
        using var other = new CpuDevice(1);
        using var foreign = other.Allocate<float>(100);
        var device = Assert.Throws<ArgumentException>(() => view.Rebind(foreign, 1, [2, 4, 5]));
        Assert.Contains($"device '{_device.Name}'", device.Message);
        Assert.Contains($"device '{other.Name}'", device.Message);
        // The failed calls left the view as it was; a valid one re-points it.
        Assert.Equal(new[] { 2, 4, 5 }, view.Dims.ToArray());
        view.Rebind(buffer, 2, [2, 2, 5]);
        Assert.Equal(2, view.Batch);
        Assert.Equal(new[] { 2, 2, 5 }, view.Dims.ToArray());
    }

    [Fact]
    public void Dim_out_of_range_names_the_axes()
    {
        using var t = Tensor<Plane2xAnyx5>.Zeros(_device, 1, 3);
        Assert.Equal(3, t.Dim(1));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => t.Dim(3));
        Assert.Contains("axes 0 to 2 (2x3x5)", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Dim(-1));
    }

    [Fact]
    public void From_with_the_wrong_free_sizes_names_the_shape_and_the_sizes()
    {
        var count = Assert.Throws<ArgumentException>(() => Tensor<Plane2xAnyx5>.From(_device, new float[30], 3, 1));
        Assert.Contains("Shape Plane2xAnyx5 (2xAnyx5) has 1 free dimension(s); 2 size(s) were given: [3, 1]", count.Message);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor<Plane2xAnyx5>.From(_device, new float[30], 0));
        Assert.Contains("Free dimension 0 of Plane2xAnyx5", size.Message);
        using var ok = Tensor<Plane2xAnyx5>.From(_device, new float[30], 3);
        Assert.Equal(1, ok.Batch);
    }
}

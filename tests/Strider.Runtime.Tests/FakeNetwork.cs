using Strider.Devices;

namespace Strider.Runtime.Tests;

/// <summary>A network that only holds named parameters and buffers: what weight I/O sees of a generated net.</summary>
internal sealed class FakeNetwork : INetwork
{
    public FakeNetwork(Device device, (string Name, int[] Shape)[] parameters, (string Name, int[] Shape)[]? buffers = null)
    {
        Device = device;
        Parameters = parameters.Select(p => new Parameter(device, p.Name, p.Shape)).ToArray();
        Buffers = (buffers ?? []).Select(p => new Parameter(device, p.Name, p.Shape)).ToArray();
    }

    /// <summary>A small conv + batch-norm + dense net with PyTorch's names and layouts.</summary>
    public static FakeNetwork Small(Device device) => new(device,
        [("conv1.weight", [2, 1, 3, 3]), ("conv1.bias", [2]), ("bn1.weight", [2]), ("bn1.bias", [2]), ("fc.weight", [3, 8]), ("fc.bias", [3])],
        [("bn1.running_mean", [2]), ("bn1.running_var", [2])]);

    public Device Device { get; }
    public IReadOnlyList<Parameter> Parameters { get; }
    public IReadOnlyList<Parameter> Buffers { get; }
    public bool Training { get; set; }

    public void ZeroGrad()
    {
        foreach (var p in Parameters) Device.Fill(p.Gradient, 0, p.Length, 0);
    }

    /// <summary>Fills every tensor with distinct values derived from <paramref name="seed"/>.</summary>
    public void FillDistinct(int seed)
    {
        int k = 0;
        foreach (var p in Parameters.Concat(Buffers))
        {
            var values = new float[p.Length];
            for (int i = 0; i < values.Length; i++) values[i] = seed + 0.25f * k++ - 3.5f;
            p.Value.Upload(values);
        }
    }

    public Dictionary<string, float[]> Snapshot() =>
        Parameters.Concat(Buffers).ToDictionary(p => p.Name, p => p.Value.ToArray());

    public void Dispose()
    {
        foreach (var p in Parameters.Concat(Buffers)) p.Dispose();
    }
}

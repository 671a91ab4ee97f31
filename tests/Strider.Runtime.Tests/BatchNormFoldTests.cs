using Strider.Devices;
using Strider.Devices.Cpu;
using Strider.Runtime.Tests.Ilgpu;
using Strider.Runtime.Tests.Reference;

namespace Strider.Runtime.Tests;

/// <summary>
/// <see cref="BatchNormFold"/> folds again exactly when a source buffer may have been written: every upload and every
/// device op handed the buffer counts (<see cref="DeviceBuffer{T}.Version"/>); a download does not.
/// </summary>
public static class BatchNormFoldChecks
{
    private const int Outer = 1, Channels = 3, Inner = 4;

    /// <summary>Runs each write on a fresh fold's source and checks that it, and only it, refolds, with the right values.</summary>
    public static void EveryWriteRefolds(Device d)
    {
        var w = d.Allocate<float>(Outer * Channels * Inner);
        var b = d.Allocate<float>(Channels);
        var gamma = d.Allocate<float>(Channels);
        var beta = d.Allocate<float>(Channels);
        var mean = d.Allocate<float>(Channels);
        var variance = d.Allocate<float>(Channels);
        var fw = d.Allocate<float>(Outer * Channels * Inner);
        var fb = d.Allocate<float>(Channels);
        var scratch = d.Allocate<float>(Outer * Channels * Inner);
        var scratch2 = d.Allocate<float>(Outer * Channels * Inner);
        w.Upload(Enumerable.Range(1, 12).Select(i => i * 0.1f).ToArray());
        gamma.Upload(new[] { 1f, 2f, 3f });
        variance.Upload(new[] { 1f, 1f, 1f });
        var fold = new BatchNormFold();
        bool Refresh() => fold.Refresh(d, Outer, Channels, Inner, w, b, gamma, beta, mean, variance, 1e-5f, fw, fb);

        Assert.True(Refresh());
        Assert.False(Refresh());
        w.ToArray();
        Assert.False(Refresh()); // a read is not a write

        var writes = new (string What, System.Action Write)[]
        {
            ("upload weights", () => w.Upload(new[] { 5f }, 3)),
            ("fill bias", () => d.Fill(b, 0, 1, 0.5f)),
            ("copy into gamma", () => d.Copy(beta, 0, gamma, 0, 3, accumulate: true)),
            ("scale beta", () => d.Scale(3, 2f, beta)),
            ("sgd step on the running mean", () => d.SgdStep(3, mean, gamma, scratch, 0.1f, 0f, 0f)),
            ("adam step on the running variance", () => d.AdamStep(3, variance, gamma, scratch, scratch2, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, 1)),
            ("batch norm training on the statistics", () => d.BatchNormForwardTraining(1, Channels, Inner, w, gamma, beta, mean, variance, 0.1f, 1e-5f, scratch, scratch2, fb)),
        };
        foreach (var (what, write) in writes)
        {
            write();
            Assert.True(Refresh(), what + " did not refold");
            Assert.False(Refresh(), what + ": the next call refolded again");
            var expectedW = new float[fw.Length];
            var expectedB = new float[Channels];
            Fold(w.ToArray(), b.ToArray(), gamma.ToArray(), beta.ToArray(), mean.ToArray(), variance.ToArray(), expectedW, expectedB);
            Assert.Equal(expectedW, fw.ToArray());
            Assert.Equal(expectedB, fb.ToArray());
        }

        // New folded buffers (a reallocation) fold again even though no source changed.
        var fw2 = d.Allocate<float>(fw.Length);
        Assert.True(fold.Refresh(d, Outer, Channels, Inner, w, b, gamma, beta, mean, variance, 1e-5f, fw2, fb));
        Assert.Equal(fw.ToArray(), fw2.ToArray());
        Assert.Equal(writes.Length + 2, fold.Folds);
    }

    /// <summary>The base fold's arithmetic, on host arrays (Outer = 1).</summary>
    private static void Fold(float[] w, float[] b, float[] gamma, float[] beta, float[] mean, float[] variance, float[] fw, float[] fb)
    {
        for (int c = 0; c < Channels; c++)
        {
            float scale = gamma[c] / MathF.Sqrt(variance[c] + 1e-5f);
            fb[c] = (b[c] - mean[c]) * scale + beta[c];
            for (int i = c * Inner; i < (c + 1) * Inner; i++) fw[i] = w[i] * scale;
        }
    }
}

public sealed class BatchNormFoldTests
{
    [Fact]
    public void Cpu_device_writes_refold()
    {
        using var d = new CpuDevice(2);
        BatchNormFoldChecks.EveryWriteRefolds(d);
    }

    [Fact]
    public void Reference_device_writes_refold() => BatchNormFoldChecks.EveryWriteRefolds(new ReferenceDevice());
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuBatchNormFoldTests(IlgpuFixture fixture)
{
    [Fact]
    public void Ilgpu_device_writes_refold() => BatchNormFoldChecks.EveryWriteRefolds(fixture.Device);
}

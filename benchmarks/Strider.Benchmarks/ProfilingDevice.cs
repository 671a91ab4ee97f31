using System.Diagnostics;
using System.Globalization;
using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// A CPU device that times every op call: calls are numbered from <see cref="BeginStep"/>, so a network's straight-line
/// Forward/Backward gives one row per layer op, summed over the steps run. For the per-layer breakdown, not for speed.
/// With one thread it records the calling thread's CPU time (comparable between builds on a loaded machine).
/// </summary>
public sealed class ProfilingDevice(int threads) : Device
{
    private readonly CpuDevice _cpu = new(threads);
    private readonly List<(string Label, double Ms)> _rows = [];
    private int _call;

    public override string Name => "cpu (profiled)";
    private long _allocatedBytes;

    /// <summary>Bytes of every buffer allocated through this device so far (parameters, activations, gradients; not the CPU workspaces).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public override DeviceBuffer<T> Allocate<T>(long length)
    {
        Interlocked.Add(ref _allocatedBytes, length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return new HostBuffer<T>(this, length);
    }

    public override void Dispose() => _cpu.Dispose();

    public void BeginStep() => _call = 0;

    /// <summary>Forgets the rows (after a warm-up step).</summary>
    public void Reset()
    {
        _rows.Clear();
        _call = 0;
    }

    /// <summary>The rows, slowest first, with each one's share of the total.</summary>
    public string Report(int steps)
    {
        double total = _rows.Sum(r => r.Ms);
        var lines = _rows.Select((r, i) => (r.Label, r.Ms, Index: i)).OrderByDescending(r => r.Ms).Take(25)
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"  {r.Ms / steps,8:F3} ms {100 * r.Ms / total,5:F1}%  #{r.Index,-3} {r.Label}"));
        return string.Create(CultureInfo.InvariantCulture, $"  total {total / steps:F2} ms per step over {_rows.Count} op calls\n") + string.Join("\n", lines);
    }

    /// <summary>Time per op kind (the label's first word: ConvForward, BatchNormForwardInference, ...), slowest first, with call counts per step.</summary>
    public string ReportByKind(int steps)
    {
        double total = _rows.Sum(r => r.Ms);
        var lines = _rows.GroupBy(r => r.Label.Split(' ')[0]).Select(k => (Kind: k.Key, Ms: k.Sum(r => r.Ms), Calls: k.Count()))
            .OrderByDescending(k => k.Ms)
            .Select(k => string.Create(CultureInfo.InvariantCulture, $"  {k.Ms / steps,8:F3} ms {100 * k.Ms / total,5:F1}%  {k.Calls,4} calls  {k.Kind}"));
        return "  by op kind:\n" + string.Join("\n", lines);
    }

    /// <summary>Every op call in execution order (one per layer op of straight-line generated code), ms per step.</summary>
    public string ReportInOrder(int steps) =>
        "  in order:\n" + string.Join("\n", _rows.Select((r, i) => string.Create(CultureInfo.InvariantCulture, $"  #{i,-3} {r.Ms / steps,8:F3} ms  {r.Label}")));

    private void Time(Action op, Func<string> label)
    {
        // Single-threaded, the calling thread's CPU time is the op's cost even on a busy machine; otherwise wall time.
        bool cpu = _cpu.ThreadCount == 1;
        double c0 = cpu ? QuickConv.ThreadCpuMs() : 0;
        long t0 = Stopwatch.GetTimestamp();
        op();
        double ms = cpu ? QuickConv.ThreadCpuMs() - c0 : Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        int i = _call++;
        if (i == _rows.Count) _rows.Add((label(), 0));
        _rows[i] = (_rows[i].Label, _rows[i].Ms + ms);
    }

    private static string G(in ConvGeometry g) =>
        $"{g.InChannels}x{g.InH}x{g.InW} -> {g.OutChannels}x{g.OutH}x{g.OutW} k{g.KernelH}x{g.KernelW} s{g.StrideH}{(g.Groups > 1 ? $" groups {g.Groups}" : "")}";

    private static string E(in ConvEpilogue e) => (e.Residual is null ? "" : " + residual") + (e.Activation is { } f ? $" + {f}" : "");

    // ---- memory ----
    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value) => Time(() => _cpu.Fill(buffer, offset, count, value), () => $"Fill {count}");
    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate) => Time(() => _cpu.Copy(src, srcOffset, dst, dstOffset, count, accumulate), () => $"Copy {count}");
    public override void CopyBox(in BoxCopy box, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate) { var b = box; Time(() => _cpu.CopyBox(b, n, src, dst, accumulate), () => "CopyBox"); }
    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate) { var p = g; Time(() => _cpu.Permute(p, n, x, y, accumulate), () => "Permute"); }

    // ---- convolution ----
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) { var c = g; Time(() => _cpu.ConvForward(c, n, x, w, bias, y), () => $"ConvForward n{n} {G(c)}"); }
    public override void ConvForward(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y, in ConvEpilogue epilogue)
    {
        if (ComposeEpilogues) base.ConvForward(g, n, x, w, bias, y, epilogue);
        else { var c = g; var e = epilogue; Time(() => _cpu.ConvForward(c, n, x, w, bias, y, e), () => $"ConvForward n{n} {G(c)}{E(e)}"); }
    }

    /// <summary>The fused expansion + depthwise pass as one row where the CPU device fuses them; elsewhere (and with STRIDER_COMPOSE_EPILOGUES=1) the two ConvForward rows.</summary>
    public override void ConvForwardExpandDepthwise(in ConvGeometry expand, in ConvGeometry depthwise, int n, DeviceBuffer<float> x,
        DeviceBuffer<float> expandW, DeviceBuffer<float>? expandBias, in ConvEpilogue expandEpilogue,
        DeviceBuffer<float> depthwiseW, DeviceBuffer<float>? depthwiseBias, DeviceBuffer<float> expanded, DeviceBuffer<float> y, in ConvEpilogue depthwiseEpilogue)
    {
        if (ComposeEpilogues || !CpuDepthwiseConvolution.ExpandedApplies(expand, depthwise, expandEpilogue, depthwiseEpilogue))
        {
            base.ConvForwardExpandDepthwise(expand, depthwise, n, x, expandW, expandBias, expandEpilogue, depthwiseW, depthwiseBias, expanded, y, depthwiseEpilogue);
            return;
        }
        var (e, d, ee, de) = (expand, depthwise, expandEpilogue, depthwiseEpilogue);
        Time(() => _cpu.ConvForwardExpandDepthwise(e, d, n, x, expandW, expandBias, ee, depthwiseW, depthwiseBias, expanded, y, de),
            () => $"ConvForwardExpandDepthwise n{n} {G(e)}{E(ee)} then {G(d)}{E(de)}");
    }

    /// <summary>STRIDER_COMPOSE_EPILOGUES=1: each conv epilogue runs as the separate ConvForward, Add and ActivationForward it replaces (the A/B baseline).</summary>
    private static readonly bool ComposeEpilogues = Environment.GetEnvironmentVariable("STRIDER_COMPOSE_EPILOGUES") == "1";
    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) { var c = g; Time(() => _cpu.ConvBackwardData(c, n, dy, w, dx, accumulate), () => $"ConvBackwardData n{n} {G(c)}"); }
    public override void ConvBackwardData(in ConvGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> dx, in ConvEpilogue epilogue)
    {
        if (ComposeEpilogues) base.ConvBackwardData(g, n, dy, w, bias, dx, epilogue);
        else { var c = g; var e = epilogue; Time(() => _cpu.ConvBackwardData(c, n, dy, w, bias, dx, e), () => $"ConvBackwardData n{n} {G(c)}{(bias is null ? "" : " + bias")}{E(e)}"); }
    }
    public override void ConvBackwardWeights(in ConvGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias) { var c = g; Time(() => _cpu.ConvBackwardWeights(c, n, x, dy, dw, dbias), () => $"ConvBackwardWeights n{n} {G(c)}"); }
    public override void AddBias(int n, int channels, int inner, DeviceBuffer<float> bias, DeviceBuffer<float> y) => Time(() => _cpu.AddBias(n, channels, inner, bias, y), () => $"AddBias n{n} {channels}x{inner}");
    public override void BiasBackward(int n, int channels, int inner, DeviceBuffer<float> dy, DeviceBuffer<float> dbias) => Time(() => _cpu.BiasBackward(n, channels, inner, dy, dbias), () => $"BiasBackward n{n} {channels}x{inner}");
    public override void DenseForward(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> w, DeviceBuffer<float>? bias, DeviceBuffer<float> y) => Time(() => _cpu.DenseForward(rows, inFeatures, outFeatures, x, w, bias, y), () => $"DenseForward {rows}x{inFeatures}->{outFeatures}");
    public override void DenseBackwardData(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> dy, DeviceBuffer<float> w, DeviceBuffer<float> dx, bool accumulate) => Time(() => _cpu.DenseBackwardData(rows, inFeatures, outFeatures, dy, w, dx, accumulate), () => "DenseBackwardData");
    public override void DenseBackwardWeights(int rows, int inFeatures, int outFeatures, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> dw, DeviceBuffer<float>? dbias) => Time(() => _cpu.DenseBackwardWeights(rows, inFeatures, outFeatures, x, dy, dw, dbias), () => "DenseBackwardWeights");

    // ---- pooling ----
    public override void MaxPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int>? switches) { var p = g; Time(() => _cpu.MaxPoolForward(p, n, x, y, switches), () => $"MaxPoolForward n{n} {p.Channels}x{p.InH}x{p.InW} k{p.KernelH}x{p.KernelW} s{p.StrideH} pad {p.PadTop}"); }
    public override void MaxPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) { var p = g; Time(() => _cpu.MaxPoolBackward(p, n, dy, switches, dx, accumulate), () => $"MaxPoolBackward n{n} {p.Channels}x{p.InH}x{p.InW} k{p.KernelH}x{p.KernelW} s{p.StrideH} pad {p.PadTop}"); }
    public override void AvgPoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) { var p = g; Time(() => _cpu.AvgPoolForward(p, n, x, y), () => "AvgPoolForward"); }
    public override void AvgPoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) { var p = g; Time(() => _cpu.AvgPoolBackward(p, n, dy, dx, accumulate), () => "AvgPoolBackward"); }
    public override void MaxUnpoolForward(in PoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<int> switches, DeviceBuffer<float> y) { var p = g; Time(() => _cpu.MaxUnpoolForward(p, n, x, switches, y), () => "MaxUnpoolForward"); }
    public override void MaxUnpoolBackward(in PoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) { var p = g; Time(() => _cpu.MaxUnpoolBackward(p, n, dy, switches, dx, accumulate), () => "MaxUnpoolBackward"); }

    // ---- elementwise ----
    public override void Add(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y) => Time(() => _cpu.Add(count, a, b, y), () => $"Add {count}");
    public override void ActivationForward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, float p0 = 0, float p1 = 0) => Time(() => _cpu.ActivationForward(f, count, x, y, p0, p1), () => $"ActivationForward {f} {count}");
    public override void ActivationBackward(Activation f, long count, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate, float p0 = 0, float p1 = 0) => Time(() => _cpu.ActivationBackward(f, count, x, y, dy, dx, accumulate, p0, p1), () => $"ActivationBackward {f} {count}");
    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y) => Time(() => _cpu.SoftmaxForward(log, n, channels, inner, x, y), () => $"SoftmaxForward n{n} {channels}x{inner}");
    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) => Time(() => _cpu.SoftmaxBackward(log, n, channels, inner, y, dy, dx, accumulate), () => $"SoftmaxBackward n{n} {channels}x{inner}");
    public override void DropoutForward(long count, float rate, ulong seed, DeviceBuffer<float> x, DeviceBuffer<float> mask, DeviceBuffer<float> y) => Time(() => _cpu.DropoutForward(count, rate, seed, x, mask, y), () => $"DropoutForward {count}");
    public override void Multiply(long count, DeviceBuffer<float> a, DeviceBuffer<float> b, DeviceBuffer<float> y, bool accumulate) => Time(() => _cpu.Multiply(count, a, b, y, accumulate), () => $"Multiply {count}");

    // ---- normalization ----
    public override void BatchNormForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) => Time(() => _cpu.BatchNormForwardTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, y, savedMean, savedInvStd), () => $"BatchNormForwardTraining n{n} {channels}x{inner}");
    public override void BatchNormForwardInference(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> y) => Time(() => _cpu.BatchNormForwardInference(n, channels, inner, x, gamma, beta, runningMean, runningVar, epsilon, y), () => $"BatchNormForwardInference n{n} {channels}x{inner}");
    public override void BatchNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate) => Time(() => _cpu.BatchNormBackward(n, channels, inner, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate), () => $"BatchNormBackward n{n} {channels}x{inner}");
    public override void BatchNormReluForwardTraining(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float momentum, float epsilon, DeviceBuffer<float>? mask, float dropoutRate, ulong dropoutSeed, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) => Time(() => _cpu.BatchNormReluForwardTraining(n, channels, inner, x, gamma, beta, runningMean, runningVar, momentum, epsilon, mask, dropoutRate, dropoutSeed, y, savedMean, savedInvStd), () => $"BatchNormReluForwardTraining{(mask is null ? "" : "+Dropout")} n{n} {channels}x{inner}");
    public override void BatchNormReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float>? mask, DeviceBuffer<float> gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float> dgamma, DeviceBuffer<float> dbeta, bool accumulate, DeviceBuffer<float> scratch) => Time(() => _cpu.BatchNormReluBackward(n, channels, inner, x, y, dy, mask, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate, scratch), () => $"BatchNormReluBackward{(mask is null ? "" : "+Dropout")} n{n} {channels}x{inner}");
    public override void FoldBatchNorm(int outer, int channels, int inner, DeviceBuffer<float> weights, DeviceBuffer<float>? bias, DeviceBuffer<float> gamma, DeviceBuffer<float> beta, DeviceBuffer<float> runningMean, DeviceBuffer<float> runningVar, float epsilon, DeviceBuffer<float> foldedWeights, DeviceBuffer<float> foldedBias) => Time(() => _cpu.FoldBatchNorm(outer, channels, inner, weights, bias, gamma, beta, runningMean, runningVar, epsilon, foldedWeights, foldedBias), () => $"FoldBatchNorm {outer}x{channels}x{inner}");

    // ---- loss ----
    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits) { float r = 0; Time(() => r = _cpu.SoftmaxCrossEntropy(n, classes, inner, logits, labels, dlogits), () => "SoftmaxCrossEntropy"); return r; }
    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities) { float r = 0; Time(() => r = _cpu.CrossEntropyFromProbabilities(n, classes, inner, probabilities, labels, dprobabilities), () => "CrossEntropyFromProbabilities"); return r; }
    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction) { float r = 0; Time(() => r = _cpu.MeanSquaredError(count, prediction, target, dprediction), () => $"MeanSquaredError {count}"); return r; }

    // ---- optimizer ----
    public override void SgdStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> velocity, float learningRate, float momentum, float weightDecay) => Time(() => _cpu.SgdStep(count, parameter, gradient, velocity, learningRate, momentum, weightDecay), () => $"SgdStep {count}");
    public override void AdamStep(long count, DeviceBuffer<float> parameter, DeviceBuffer<float> gradient, DeviceBuffer<float> m, DeviceBuffer<float> v, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step) => Time(() => _cpu.AdamStep(count, parameter, gradient, m, v, learningRate, beta1, beta2, epsilon, weightDecay, step), () => $"AdamStep {count}");

    // ---- new layer ops ----
    public override void PReluForward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> y) => Time(() => _cpu.PReluForward(n, channels, inner, x, slope, y), () => $"PReluForward n{n} {channels}x{inner}");
    public override void PReluBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> slope, DeviceBuffer<float> dy, DeviceBuffer<float> dx, DeviceBuffer<float> dslope, bool accumulate) => Time(() => _cpu.PReluBackward(n, channels, inner, x, slope, dy, dx, dslope, accumulate), () => $"PReluBackward n{n} {channels}x{inner}");
    public override void AdaptiveAvgPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) { var c = g; Time(() => _cpu.AdaptiveAvgPoolForward(c, n, x, y), () => $"AdaptiveAvgPoolForward {c}"); }
    public override void AdaptiveAvgPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) { var c = g; Time(() => _cpu.AdaptiveAvgPoolBackward(c, n, dy, dx, accumulate), () => $"AdaptiveAvgPoolBackward {c}"); }
    public override void AdaptiveMaxPoolForward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, DeviceBuffer<int> switches) { var c = g; Time(() => _cpu.AdaptiveMaxPoolForward(c, n, x, y, switches), () => $"AdaptiveMaxPoolForward {c}"); }
    public override void AdaptiveMaxPoolBackward(in AdaptivePoolGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<int> switches, DeviceBuffer<float> dx, bool accumulate) { var c = g; Time(() => _cpu.AdaptiveMaxPoolBackward(c, n, dy, switches, dx, accumulate), () => $"AdaptiveMaxPoolBackward {c}"); }
    public override void UpsampleForward(in UpsampleGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y) { var c = g; Time(() => _cpu.UpsampleForward(c, n, x, y), () => $"UpsampleForward {c}"); }
    public override void UpsampleBackward(in UpsampleGeometry g, int n, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) { var c = g; Time(() => _cpu.UpsampleBackward(c, n, dy, dx, accumulate), () => $"UpsampleBackward {c}"); }
    public override void PixelShuffleForward(int n, int channels, int h, int w, int r, DeviceBuffer<float> x, DeviceBuffer<float> y) => Time(() => _cpu.PixelShuffleForward(n, channels, h, w, r, x, y), () => $"PixelShuffleForward n{n} {channels}x{h}x{w} r{r}");
    public override void PixelShuffleBackward(int n, int channels, int h, int w, int r, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate) => Time(() => _cpu.PixelShuffleBackward(n, channels, h, w, r, dy, dx, accumulate), () => $"PixelShuffleBackward n{n} {channels}x{h}x{w} r{r}");
    public override void BroadcastForward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y) => Time(() => _cpu.BroadcastForward(op, n, channels, inner, full, gate, y), () => $"Broadcast{op}Forward n{n} {channels}x{inner}");
    public override void BroadcastBackward(BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy, DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate) => Time(() => _cpu.BroadcastBackward(op, n, channels, inner, full, gate, dy, dFull, accumulateFull, dGate, accumulateGate), () => $"Broadcast{op}Backward n{n} {channels}x{inner}");
    public override void GroupNormForward(int n, int channels, int inner, int groups, float epsilon, DeviceBuffer<float> x, DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) => Time(() => _cpu.GroupNormForward(n, channels, inner, groups, epsilon, x, gamma, beta, y, savedMean, savedInvStd), () => $"GroupNormForward n{n} {channels}x{inner} g{groups}");
    public override void GroupNormBackward(int n, int channels, int inner, int groups, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate) => Time(() => _cpu.GroupNormBackward(n, channels, inner, groups, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate), () => $"GroupNormBackward n{n} {channels}x{inner} g{groups}");
    public override void LayerNormForward(int n, int channels, int inner, float epsilon, DeviceBuffer<float> x, DeviceBuffer<float>? gamma, DeviceBuffer<float>? beta, DeviceBuffer<float> y, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd) => Time(() => _cpu.LayerNormForward(n, channels, inner, epsilon, x, gamma, beta, y, savedMean, savedInvStd), () => $"LayerNormForward n{n} {channels}x{inner}");
    public override void LayerNormBackward(int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> dy, DeviceBuffer<float>? gamma, DeviceBuffer<float> savedMean, DeviceBuffer<float> savedInvStd, DeviceBuffer<float> dx, DeviceBuffer<float>? dgamma, DeviceBuffer<float>? dbeta, bool accumulate) => Time(() => _cpu.LayerNormBackward(n, channels, inner, x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, accumulate), () => $"LayerNormBackward n{n} {channels}x{inner}");
}

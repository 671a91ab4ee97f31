using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Strider.Devices.Cpu;

/// <summary>
/// The fast CPU device: convolutions and dense layers on a register-tiled SIMD GEMM (AVX-512 where present, AVX2
/// otherwise), spread over a fixed pool of worker threads; workspaces are kept and grown on demand, so steady-state
/// calls allocate nothing. Results are deterministic: each output is computed by one work item in a fixed order.
/// Ops run synchronously on the calling thread. A device runs one op at a time: ops called from several threads
/// are serialised by a lock (cheap when uncontended), because each op keeps its arguments and workspaces on the device.
/// </summary>
public sealed unsafe partial class CpuDevice : Device
{
    private readonly WorkerPool _pool;
    /// <summary>Held for the whole of every op: the op's arguments, the worker pool and the workspaces are per device.</summary>
    private readonly System.Threading.Lock _gate = new();
    private readonly float[][] _workspaceA;
    private readonly float[][] _workspaceB;
    private readonly float[][] _workspaceC;
    private readonly float[][] _workspaceD;
    private float[] _shared = [];

    /// <summary>A CPU device using all logical processors.</summary>
    public CpuDevice() : this(Environment.ProcessorCount) { }

    /// <summary>A CPU device with <paramref name="threads"/> worker threads (the calling thread counts as one).</summary>
    public CpuDevice(int threads) : this(threads, null) { }

    /// <summary>A CPU device named <paramref name="name"/>, or by its instance number ("cpu#2") when null.</summary>
    private CpuDevice(int threads, string? name)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "A CPU device needs at least one thread.");
        _pool = new WorkerPool(threads);
        _workspaceA = new float[threads][];
        _workspaceB = new float[threads][];
        _workspaceC = new float[threads][];
        _workspaceD = new float[threads][];
        for (int i = 0; i < threads; i++) _workspaceA[i] = _workspaceB[i] = _workspaceC[i] = _workspaceD[i] = [];
        Name = name ?? InstanceName("cpu");
    }

    /// <summary>The CPU device for <see cref="Device.Default"/>, all logical processors, the one named plainly "cpu".</summary>
    internal static CpuDevice CreateDefault() => new(Environment.ProcessorCount, "cpu");

    /// <summary>"cpu" for the default device; "cpu#1", "cpu#2" ... for each other instance, so messages tell them apart.</summary>
    public override string Name { get; }

    /// <summary>Worker threads, the caller included.</summary>
    public int ThreadCount => _pool.WorkerCount;

    public override DeviceBuffer<T> Allocate<T>(long length) => new HostBuffer<T>(this, length);

    public override void Dispose()
    {
        using var op = _gate.EnterScope();
        IsDisposed = true;
        _pool.Dispose();
    }

    private static float* P(DeviceBuffer<float> buffer, long needed, string name)
    {
        if (buffer is not HostBuffer<float> host)
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", name);
        if (host.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
        if (needed > host.Length) throw new ArgumentException($"Buffer '{name}' holds {host.Length} values; the op needs {needed}.", name);
        return host.Pointer;
    }

    private static int* P(DeviceBuffer<int> buffer, long needed, string name)
    {
        if (buffer is not HostBuffer<int> host)
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", name);
        if (host.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
        if (needed > host.Length) throw new ArgumentException($"Buffer '{name}' holds {host.Length} values; the op needs {needed}.", name);
        return host.Pointer;
    }

    private static float* Grow(float[][] slots, int worker, long size)
    {
        if (slots[worker].Length < size) slots[worker] = GC.AllocateArray<float>((int)Math.Max(size, slots[worker].Length * 2L), pinned: true);
        return (float*)Unsafe.AsPointer(ref slots[worker][0]);
    }

    private float* SharedWorkspace(long size)
    {
        if (_shared.Length < size) _shared = GC.AllocateArray<float>((int)Math.Max(size, _shared.Length * 2L), pinned: true);
        return (float*)Unsafe.AsPointer(ref _shared[0]);
    }

    private static void Put(float* dst, float value, bool accumulate)
    {
        if (accumulate) *dst += value;
        else *dst = value;
    }

    /// <summary>dst = or += src over count values, vectorised.</summary>
    private static void CopyOrAdd(float* src, float* dst, long count, bool accumulate)
    {
        if (!accumulate)
        {
            Buffer.MemoryCopy(src, dst, count * sizeof(float), count * sizeof(float));
            return;
        }
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) (Vector256.Load(dst + i) + Vector256.Load(src + i)).Store(dst + i);
        for (; i < count; i++) dst[i] += src[i];
    }

    // ---- memory ----

    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        using var op = _gate.EnterScope();
        CheckSpan(buffer, offset, count, nameof(buffer));
        float* p = P(buffer, offset + count, nameof(buffer));
        new Span<float>(p + offset, checked((int)count)).Fill(value);
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        using var op = _gate.EnterScope();
        CheckSpan(src, srcOffset, count, nameof(src));
        CheckSpan(dst, dstOffset, count, nameof(dst));
        float* s = P(src, srcOffset + count, nameof(src)) + srcOffset;
        float* d = P(dst, dstOffset + count, nameof(dst)) + dstOffset;
        if (s + count <= d || d + count <= s)
        {
            // Disjoint: in ranges over the workers.
            _elem = new ElementArgs { A = s, B = d, Accumulate = accumulate };
            RunRanges(count, &CopyRange);
        }
        else if (!accumulate) Buffer.MemoryCopy(s, d, count * sizeof(float), count * sizeof(float)); // handles overlap
        else if (s == d) CopyOrAdd(s, d, count, true);
        else
        {
            // Overlapping accumulate: read everything before writing, as the definition implies.
            float* t = SharedWorkspace(count);
            Buffer.MemoryCopy(s, t, count * sizeof(float), count * sizeof(float));
            CopyOrAdd(t, d, count, true);
        }
    }

    private static void CopyRange(in ElementArgs e, long i0, long i1) => CopyOrAdd(e.A + i0, e.B + i0, i1 - i0, e.Accumulate);

    public override void CopyBox(in BoxCopy g, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        using var op = _gate.EnterScope();
        float* s = P(src, (long)n * g.SrcChannels * g.SrcH * g.SrcW, nameof(src));
        float* d = P(dst, (long)n * g.DstChannels * g.DstH * g.DstW, nameof(dst));
        for (int b = 0; b < n; b++)
            for (int c = 0; c < g.BoxChannels; c++)
                for (int y = 0; y < g.BoxH; y++)
                {
                    long si = (((long)b * g.SrcChannels + g.SrcC0 + c) * g.SrcH + g.SrcY0 + y) * g.SrcW + g.SrcX0;
                    long di = (((long)b * g.DstChannels + g.DstC0 + c) * g.DstH + g.DstY0 + y) * g.DstW + g.DstX0;
                    CopyOrAdd(s + si, d + di, g.BoxW, accumulate);
                }
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        using var op = _gate.EnterScope();
        float* s = P(x, n * g.Size, nameof(x)), d = P(y, n * g.Size, nameof(y));
        Span<int> dims = [g.D0, g.D1, g.D2, g.D3];
        Span<int> perm = [g.P0, g.P1, g.P2, g.P3];
        // Output strides mapped back to input axes: input axis perm[j] moves with output axis j.
        Span<long> outStride = stackalloc long[4];
        long stride = 1;
        for (int j = 3; j >= 0; j--)
        {
            outStride[perm[j]] = stride;
            stride *= dims[perm[j]];
        }
        for (int b = 0; b < n; b++)
        {
            float* sb = s + b * g.Size, db = d + b * g.Size;
            long si = 0;
            for (int i0 = 0; i0 < dims[0]; i0++)
                for (int i1 = 0; i1 < dims[1]; i1++)
                    for (int i2 = 0; i2 < dims[2]; i2++)
                    {
                        long o = i0 * outStride[0] + i1 * outStride[1] + i2 * outStride[2];
                        for (int i3 = 0; i3 < dims[3]; i3++, si++) Put(db + o + i3 * outStride[3], sb[si], accumulate);
                    }
        }
    }

    // ---- softmax ----

    public override void SoftmaxForward(bool log, int n, int channels, int inner, DeviceBuffer<float> x, DeviceBuffer<float> y)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs { A = P(x, size, nameof(x)), B = P(y, size, nameof(y)), Channels = channels, Inner = inner, Log = log };
        // Positions (image, i) in ranges over the workers; each position's softmax is the same arithmetic as serially.
        RunRanges((long)n * inner, &SoftmaxForwardRange, SoftmaxChunk(channels));
    }

    /// <summary>Positions per softmax work item: about an element chunk's values (the sliding LeNet's 4096 positions of 10 are 4 items).</summary>
    private static long SoftmaxChunk(int channels) => Math.Max(64, ElementChunk / Math.Max(1, channels));

    private static void SoftmaxForwardRange(in ElementArgs e, long p0, long p1)
    {
        int channels = e.Channels, inner = e.Inner;
        for (long p = p0; p < p1; p++)
        {
            long b = p / inner, i = p % inner;
            float* xs = e.A + b * channels * inner + i, ys = e.B + b * channels * inner + i;
            float max = float.NegativeInfinity;
            for (int c = 0; c < channels; c++) max = MathF.Max(max, xs[(long)c * inner]);
            double sum = 0;
            if (e.Log)
            {
                for (int c = 0; c < channels; c++) sum += MathF.Exp(xs[(long)c * inner] - max);
                float lse = max + (float)Math.Log(sum);
                for (int c = 0; c < channels; c++) ys[(long)c * inner] = xs[(long)c * inner] - lse;
            }
            else
            {
                // Each exponential once: kept in y, then scaled (the same values the two-exp form gave).
                for (int c = 0; c < channels; c++)
                {
                    float v = MathF.Exp(xs[(long)c * inner] - max);
                    ys[(long)c * inner] = v;
                    sum += v;
                }
                float inv = (float)(1 / sum);
                for (int c = 0; c < channels; c++) ys[(long)c * inner] *= inv;
            }
        }
    }

    public override void SoftmaxBackward(bool log, int n, int channels, int inner, DeviceBuffer<float> y, DeviceBuffer<float> dy, DeviceBuffer<float> dx, bool accumulate)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * channels * inner;
        _elem = new ElementArgs
        {
            A = P(y, size, nameof(y)), B = P(dy, size, nameof(dy)), C = P(dx, size, nameof(dx)),
            Channels = channels, Inner = inner, Log = log, Accumulate = accumulate,
        };
        RunRanges((long)n * inner, &SoftmaxBackwardRange, SoftmaxChunk(channels));
    }

    private static void SoftmaxBackwardRange(in ElementArgs e, long p0, long p1)
    {
        int channels = e.Channels, inner = e.Inner;
        float* py = e.A, pdy = e.B, pdx = e.C;
        bool log = e.Log;
        for (long p = p0; p < p1; p++)
        {
            long o = p / inner * channels * inner + p % inner;
            double dot = 0;
            for (int c = 0; c < channels; c++) dot += log ? pdy[o + (long)c * inner] : (double)pdy[o + (long)c * inner] * py[o + (long)c * inner];
            float s = (float)dot;
            for (int c = 0; c < channels; c++)
            {
                long j = o + (long)c * inner;
                Put(pdx + j, log ? pdy[j] - MathF.Exp(py[j]) * s : py[j] * (pdy[j] - s), e.Accumulate);
            }
        }
    }

    // ---- losses ----

    private static int CountLabels(long positions, int classes, int* labels)
    {
        int count = 0;
        for (long i = 0; i < positions; i++)
        {
            int label = labels[i];
            if (label == -1) continue;
            if (label < 0 || label >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
            count++;
        }
        return count;
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * classes * inner;
        float* px = P(logits, size, nameof(logits)), pd = P(dlogits, size, nameof(dlogits));
        int* pl = P(labels, (long)n * inner, nameof(labels));
        int count = CountLabels((long)n * inner, classes, pl);
        double loss = 0;
        float invCount = count == 0 ? 0 : 1f / count;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = pl[(long)b * inner + i];
                float* xs = px + (long)b * classes * inner + i, ds = pd + (long)b * classes * inner + i;
                float max = float.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = MathF.Max(max, xs[(long)c * inner]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += MathF.Exp(xs[(long)c * inner] - max);
                if (label < 0)
                {
                    for (int c = 0; c < classes; c++) ds[(long)c * inner] = 0;
                    continue;
                }
                loss += max + Math.Log(sum) - xs[(long)label * inner];
                float inv = (float)(1 / sum);
                for (int c = 0; c < classes; c++)
                    ds[(long)c * inner] = (MathF.Exp(xs[(long)c * inner] - max) * inv - (c == label ? 1 : 0)) * invCount;
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        using var op = _gate.EnterScope();
        long size = (long)n * classes * inner;
        float* pp = P(probabilities, size, nameof(probabilities)), pd = P(dprobabilities, size, nameof(dprobabilities));
        int* pl = P(labels, (long)n * inner, nameof(labels));
        int count = CountLabels((long)n * inner, classes, pl);
        double loss = 0;
        new Span<float>(pd, checked((int)size)).Clear();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = pl[(long)b * inner + i];
                if (label < 0) continue;
                long j = ((long)b * classes + label) * inner + i;
                loss -= Math.Log(pp[j]);
                pd[j] = (float)(-1.0 / (count * (double)pp[j]));
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        using var op = _gate.EnterScope();
        float* pp = P(prediction, count, nameof(prediction)), pt = P(target, count, nameof(target)), pd = P(dprediction, count, nameof(dprediction));
        if (count == 0) return 0f;
        // One partial sum per fixed-size range, added in range order: the loss does not depend on the thread count.
        long ranges = (count + ElementChunk - 1) / ElementChunk;
        if (_partialSums.Length < ranges) _partialSums = GC.AllocateArray<double>((int)ranges, pinned: true);
        _elem = new ElementArgs { A = pp, B = pt, C = pd, P0 = 2f / count };
        _elem.Partials = (double*)Unsafe.AsPointer(ref _partialSums[0]);
        RunRanges(count, &SquaredErrorRange);
        double sum = 0;
        for (long r = 0; r < ranges; r++) sum += _partialSums[r];
        return (float)(sum / count);
    }

    private double[] _partialSums = [];

    /// <summary>dprediction = 2 (prediction - target) / count over [i0, i1), and that range's sum of squared differences.</summary>
    private static void SquaredErrorRange(in ElementArgs e, long i0, long i1)
    {
        double sum = 0;
        float scale = e.P0;
        long i = i0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> acc0 = default, acc1 = default;
            var vs = Vector256.Create(scale);
            for (; i + 8 <= i1; i += 8)
            {
                var d = Vector256.Load(e.A + i) - Vector256.Load(e.B + i);
                (d * vs).Store(e.C + i);
                var (lo, hi) = Vector256.Widen(d);
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < i1; i++)
        {
            float d = e.A[i] - e.B[i];
            sum += (double)d * d;
            e.C[i] = d * scale;
        }
        e.Partials[i0 / ElementChunk] = sum;
    }
}

using System;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Adaptive and global pooling, one (image, channel) plane at a time, planes spread over the workers in fixed groups.
/// Backward gathers: each input position sums what the windows holding it send, so overlapping windows need no
/// scatter and the result does not depend on the thread count.
/// </summary>
internal static unsafe class CpuAdaptivePooling
{
    internal enum Op { Avg, AvgBackward, Max, MaxBackward }

    private struct Args
    {
        public AdaptivePoolGeometry G;
        public Op Op;
        public int Planes, PlanesPerItem;
        public float* Src, Dst;
        public int* Switches;
        public bool Accumulate;
    }

    /// <summary>Forward: src = x, dst = y; backward: src = dy, dst = dx.</summary>
    internal static void Run(CpuWorkspace ws, in AdaptivePoolGeometry g, int n, Op op, DeviceBuffer<float> src, DeviceBuffer<float> dst, DeviceBuffer<int>? switches, bool accumulate)
    {
        bool forward = op is Op.Avg or Op.Max;
        g.Check(forward ? $"Adaptive{op}PoolForward" : $"Adaptive{(op == Op.AvgBackward ? "Avg" : "Max")}PoolBackward", n);
        long inSize = n * g.InputSize, outSize = n * g.OutputSize;
        var args = new Args
        {
            G = g, Op = op, Planes = n * g.Channels, Accumulate = accumulate,
            Src = P(src, forward ? inSize : outSize, forward ? "x" : "dy"),
            Dst = P(dst, forward ? outSize : inSize, forward ? "y" : "dx"),
            Switches = switches is null ? null : P(switches, outSize, nameof(switches)),
        };
        if (args.Planes == 0) return;
        args.PlanesPerItem = Math.Max(1, args.Planes / (ws.Workers * 8));
        ws.Run(&args, (args.Planes + args.PlanesPerItem - 1) / args.PlanesPerItem, &Item);
    }

    private static void Item(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        int first = item * a.PlanesPerItem, last = Math.Min(a.Planes, first + a.PlanesPerItem);
        long inPlane = (long)a.G.InH * a.G.InW, outPlane = (long)a.G.OutH * a.G.OutW;
        if (outPlane == 1)
        {
            // Global pooling: each plane is one contiguous window.
            for (int plane = first; plane < last; plane++)
                switch (a.Op)
                {
                    case Op.Avg: a.Dst[plane] = (float)(SumSegment(a.Src + plane * inPlane, (int)inPlane) / inPlane); break;
                    case Op.Max: GlobalMax(a.Src + plane * inPlane, (int)inPlane, a.Dst + plane, a.Switches + plane); break;
                    case Op.AvgBackward: FillOrAdd(a.Dst + plane * inPlane, inPlane, a.Src[plane] / (int)inPlane, a.Accumulate); break;
                    default:
                        {
                            float* dx = a.Dst + plane * inPlane;
                            if (!a.Accumulate) new Span<float>(dx, (int)inPlane).Clear();
                            dx[a.Switches[plane]] += a.Src[plane];
                            break;
                        }
                }
            return;
        }
        for (int plane = first; plane < last; plane++)
            switch (a.Op)
            {
                case Op.Avg: AvgPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane); break;
                case Op.Max: MaxPlane(a.G, a.Src + plane * inPlane, a.Dst + plane * outPlane, a.Switches + plane * outPlane); break;
                case Op.AvgBackward: AvgBackwardPlane(a.G, a.Src + plane * outPlane, a.Dst + plane * inPlane, a.Accumulate); break;
                default: MaxBackwardPlane(a.G, a.Src + plane * outPlane, a.Switches + plane * outPlane, a.Dst + plane * inPlane, a.Accumulate); break;
            }
    }

    private static void AvgPlane(in AdaptivePoolGeometry g, float* x, float* y)
    {
        for (int i = 0; i < g.OutH; i++)
        {
            int r0 = AdaptivePoolGeometry.Start(i, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(i, g.InH, g.OutH);
            for (int j = 0; j < g.OutW; j++)
            {
                int c0 = AdaptivePoolGeometry.Start(j, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(j, g.InW, g.OutW);
                double sum = 0;
                for (int r = r0; r < r1; r++) sum += SumSegment(x + (long)r * g.InW + c0, c1 - c0);
                y[i * g.OutW + j] = (float)(sum / ((r1 - r0) * (c1 - c0)));
            }
        }
    }

    /// <summary>A row segment's sum: 8 lanes in double (a global pool's whole row), then the tail.</summary>
    private static double SumSegment(float* p, int count)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            Vector256<double> s0 = default, s1 = default;
            for (; i + 8 <= count; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Load(p + i));
                s0 += lo;
                s1 += hi;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < count; i++) sum += p[i];
        return sum;
    }

    /// <summary>
    /// The max of <paramref name="count"/> contiguous values and its first position (the last NaN's when there is one),
    /// as <see cref="MaxPlane"/>'s loop: 8 lanes each keep their own winner by that rule, then the lanes are merged in
    /// position order (a NaN lane: the largest position; otherwise the smallest position holding the max) and the tail follows.
    /// </summary>
    private static void GlobalMax(float* x, int count, float* y, int* switches)
    {
        float max = float.NegativeInfinity;
        int best = 0, i = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            var vmax = Vector256.Create(float.NegativeInfinity);
            var vbest = Vector256<int>.Indices;
            for (; i + 8 <= count; i += 8)
            {
                var v = Vector256.Load(x + i);
                var m = CpuPooling.Wins(v, vmax);
                vmax = Vector256.ConditionalSelect(m, v, vmax);
                vbest = Vector256.ConditionalSelect(m.AsInt32(), Vector256.Create(i) + Vector256<int>.Indices, vbest);
            }
            int nanBest = -1;
            best = int.MaxValue;
            for (int lane = 0; lane < 8; lane++)
            {
                float v = vmax.GetElement(lane);
                int at = vbest.GetElement(lane);
                if (float.IsNaN(v)) nanBest = Math.Max(nanBest, at);
                else if (v > max || (v == max && at < best)) (max, best) = (v, at);
            }
            if (nanBest >= 0) (max, best) = (float.NaN, nanBest);
        }
        for (; i < count; i++)
        {
            float v = x[i];
            if (v > max || float.IsNaN(v)) (max, best) = (v, i);
        }
        *y = max;
        *switches = best;
    }

    /// <summary>dx = value (or dx += value) over <paramref name="count"/> values.</summary>
    private static void FillOrAdd(float* dx, long count, float value, bool accumulate)
    {
        if (!accumulate)
        {
            new Span<float>(dx, (int)count).Fill(value);
            return;
        }
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (var v = Vector256.Create(value); i + 8 <= count; i += 8) (Vector256.Load(dx + i) + v).Store(dx + i);
        for (; i < count; i++) dx[i] += value;
    }

    private static void MaxPlane(in AdaptivePoolGeometry g, float* x, float* y, int* switches)
    {
        for (int i = 0; i < g.OutH; i++)
        {
            int r0 = AdaptivePoolGeometry.Start(i, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(i, g.InH, g.OutH);
            for (int j = 0; j < g.OutW; j++)
            {
                int c0 = AdaptivePoolGeometry.Start(j, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(j, g.InW, g.OutW);
                int best = r0 * g.InW + c0;
                float max = float.NegativeInfinity;
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                    {
                        float v = x[r * g.InW + c];
                        // Strictly greater keeps the first of equal maxima; a NaN always takes over, so the last NaN wins.
                        if (v > max || float.IsNaN(v))
                        {
                            max = v;
                            best = r * g.InW + c;
                        }
                    }
                y[i * g.OutW + j] = max;
                switches[i * g.OutW + j] = best;
            }
        }
    }

    private static void AvgBackwardPlane(in AdaptivePoolGeometry g, float* dy, float* dx, bool accumulate)
    {
        for (int r = 0; r < g.InH; r++)
        {
            int i0 = AdaptivePoolGeometry.FirstCovering(r, g.InH, g.OutH), i1 = AdaptivePoolGeometry.EndCovering(r, g.InH, g.OutH);
            for (int c = 0; c < g.InW; c++)
            {
                int j0 = AdaptivePoolGeometry.FirstCovering(c, g.InW, g.OutW), j1 = AdaptivePoolGeometry.EndCovering(c, g.InW, g.OutW);
                float sum = 0f;
                for (int i = i0; i < i1; i++)
                {
                    int r0 = AdaptivePoolGeometry.Start(i, g.InH, g.OutH), r1 = AdaptivePoolGeometry.End(i, g.InH, g.OutH);
                    if (r < r0 || r >= r1) continue;
                    for (int j = j0; j < j1; j++)
                    {
                        int c0 = AdaptivePoolGeometry.Start(j, g.InW, g.OutW), c1 = AdaptivePoolGeometry.End(j, g.InW, g.OutW);
                        if (c >= c0 && c < c1) sum += dy[i * g.OutW + j] / ((r1 - r0) * (c1 - c0));
                    }
                }
                Put(dx + (long)r * g.InW + c, sum, accumulate);
            }
        }
    }

    private static void MaxBackwardPlane(in AdaptivePoolGeometry g, float* dy, int* switches, float* dx, bool accumulate)
    {
        for (int r = 0; r < g.InH; r++)
        {
            int i0 = AdaptivePoolGeometry.FirstCovering(r, g.InH, g.OutH), i1 = AdaptivePoolGeometry.EndCovering(r, g.InH, g.OutH);
            for (int c = 0; c < g.InW; c++)
            {
                int j0 = AdaptivePoolGeometry.FirstCovering(c, g.InW, g.OutW), j1 = AdaptivePoolGeometry.EndCovering(c, g.InW, g.OutW);
                int at = r * g.InW + c;
                float sum = 0f;
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                        if (switches[i * g.OutW + j] == at) sum += dy[i * g.OutW + j];
                Put(dx + at, sum, accumulate);
            }
        }
    }
}

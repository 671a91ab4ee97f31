using System;
using System.Runtime.Intrinsics;
using static Strider.Devices.Cpu.CpuMath;

namespace Strider.Devices.Cpu;

/// <summary>
/// Broadcast add and multiply: one (image, channel) row per step, rows spread over the workers in fixed groups, 8
/// values at a time; a gate gradient is its own row's sum (in double, a fixed order), so no partials are merged.
/// </summary>
internal static unsafe class CpuBroadcast
{
    private struct Args
    {
        public BroadcastOp Op;
        public int Rows, RowsPerItem, Inner;
        public float* Full, Gate, Dy, Y, DFull, DGate;
        public bool AccumulateFull, AccumulateGate, Backward;
    }

    internal static void Forward(CpuWorkspace ws, BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> y)
    {
        Device.CheckBroadcast("BroadcastForward", op, n, channels, inner);
        long size = (long)n * channels * inner;
        var args = new Args { Op = op, Rows = n * channels, Inner = inner, Full = P(full, size, nameof(full)), Gate = P(gate, (long)n * channels, nameof(gate)), Y = P(y, size, nameof(y)) };
        Run(ws, ref args);
    }

    internal static void Backward(CpuWorkspace ws, BroadcastOp op, int n, int channels, int inner, DeviceBuffer<float> full, DeviceBuffer<float> gate, DeviceBuffer<float> dy,
        DeviceBuffer<float>? dFull, bool accumulateFull, DeviceBuffer<float>? dGate, bool accumulateGate)
    {
        Device.CheckBroadcast("BroadcastBackward", op, n, channels, inner);
        long size = (long)n * channels * inner, rows = (long)n * channels;
        bool multiply = op == BroadcastOp.Multiply;
        var args = new Args
        {
            Op = op, Rows = n * channels, Inner = inner, Backward = true, AccumulateFull = accumulateFull, AccumulateGate = accumulateGate,
            Dy = P(dy, size, nameof(dy)),
            Full = multiply && dGate is not null ? P(full, size, nameof(full)) : null,
            Gate = multiply && dFull is not null ? P(gate, rows, nameof(gate)) : null,
            DFull = dFull is null ? null : P(dFull, size, nameof(dFull)),
            DGate = dGate is null ? null : P(dGate, rows, nameof(dGate)),
        };
        Run(ws, ref args);
    }

    private static void Run(CpuWorkspace ws, ref Args args)
    {
        if (args.Rows == 0) return;
        args.RowsPerItem = Math.Max(1, Math.Min(args.Rows / (ws.Workers * 4), Math.Max(1, CpuElementwise.ElementChunk / Math.Max(1, args.Inner))));
        fixed (Args* p = &args) ws.Run(p, (args.Rows + args.RowsPerItem - 1) / args.RowsPerItem, &Item);
    }

    private static void Item(object state, void* args, int item, int worker)
    {
        ref readonly Args a = ref *(Args*)args;
        int first = item * a.RowsPerItem, last = Math.Min(a.Rows, first + a.RowsPerItem);
        for (int row = first; row < last; row++)
        {
            long offset = (long)row * a.Inner;
            if (!a.Backward) ForwardRow(a.Op, a.Full + offset, a.Gate[row], a.Y + offset, a.Inner);
            else
            {
                bool multiply = a.Op == BroadcastOp.Multiply;
                if (a.DFull != null)
                {
                    if (multiply) ForwardRow(BroadcastOp.Multiply, a.Dy + offset, a.Gate[row], a.DFull + offset, a.Inner, a.AccumulateFull);
                    else CopyOrAdd(a.Dy + offset, a.DFull + offset, a.Inner, a.AccumulateFull);
                }
                if (a.DGate != null) Put(a.DGate + row, (float)RowSum(a.Dy + offset, multiply ? a.Full + offset : null, a.Inner), a.AccumulateGate);
            }
        }
    }

    /// <summary>dst = src + g or src g (added to dst when <paramref name="accumulate"/>).</summary>
    private static void ForwardRow(BroadcastOp op, float* src, float g, float* dst, int count, bool accumulate = false)
    {
        int i = 0;
        bool multiply = op == BroadcastOp.Multiply;
        if (Vector256.IsHardwareAccelerated)
        {
            var vg = Vector256.Create(g);
            for (; i + 8 <= count; i += 8)
            {
                var s = Vector256.Load(src + i);
                var v = multiply ? s * vg : s + vg;
                if (accumulate) v += Vector256.Load(dst + i);
                v.Store(dst + i);
            }
        }
        for (; i < count; i++) Put(dst + i, multiply ? src[i] * g : src[i] + g, accumulate);
    }

    /// <summary>The sum of dy, or of dy times <paramref name="other"/> when given, in double lanes.</summary>
    private static double RowSum(float* dy, float* other, int count)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> s0 = default, s1 = default;
            for (; i + 8 <= count; i += 8)
            {
                var v = Vector256.Load(dy + i);
                if (other != null) v *= Vector256.Load(other + i);
                var (lo, hi) = Vector256.Widen(v);
                s0 += lo;
                s1 += hi;
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; i < count; i++) sum += other != null ? dy[i] * other[i] : dy[i];
        return sum;
    }
}

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Strider.Devices.Cpu;

/// <summary>The CPU ops' shared pieces: buffer pointers with their checks, per-worker panels and small vector loops.</summary>
internal static unsafe class CpuMath
{
    internal static float* P(DeviceBuffer<float> buffer, long needed, string name)
    {
        if (buffer is not HostBuffer<float> host)
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", name);
        if (host.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
        if (needed > host.Length) throw new ArgumentException($"Buffer '{name}' holds {host.Length} values; the op needs {needed}.", name);
        return host.Pointer;
    }

    internal static int* P(DeviceBuffer<int> buffer, long needed, string name)
    {
        if (buffer is not HostBuffer<int> host)
            throw new ArgumentException($"Buffer '{name}' belongs to device '{buffer.Device.Name}'; the CPU device needs a host buffer (allocate it with this device).", name);
        if (host.IsDisposed) throw new ObjectDisposedException(name, $"Buffer '{name}' was disposed.");
        if (needed > host.Length) throw new ArgumentException($"Buffer '{name}' holds {host.Length} values; the op needs {needed}.", name);
        return host.Pointer;
    }

    internal static float* Grow(float[][] slots, int worker, long size)
    {
        if (slots[worker].Length < size) slots[worker] = GC.AllocateArray<float>((int)Math.Max(size, slots[worker].Length * 2L), pinned: true);
        return (float*)Unsafe.AsPointer(ref slots[worker][0]);
    }

    internal static void Put(float* dst, float value, bool accumulate)
    {
        if (accumulate) *dst += value;
        else *dst = value;
    }

    /// <summary>dst = or += src over count values, vectorised.</summary>
    internal static void CopyOrAdd(float* src, float* dst, long count, bool accumulate)
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


    /// <summary>dst[j] = src[j] + v for j &lt; count (a bias over a run of one output channel; src may be dst).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddScalar(float* src, float* dst, int count, float v)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vv = Vector512.Create(v);
            for (; j + 16 <= count; j += 16) (Vector512.Load(src + j) + vv).Store(dst + j);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vv = Vector256.Create(v);
            for (; j + 8 <= count; j += 8) (Vector256.Load(src + j) + vv).Store(dst + j);
        }
        for (; j < count; j++) dst[j] = src[j] + v;
    }


    /// <summary>Even and odd elements of the 16 values lo, hi.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<float> Even, Vector256<float> Odd) Deinterleave(Vector256<float> lo, Vector256<float> hi)
    {
        var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var l = Vector256.Shuffle(lo, split);
        var h = Vector256.Shuffle(hi, split);
        return (Vector256.Create(l.GetLower(), h.GetLower()), Vector256.Create(l.GetUpper(), h.GetUpper()));
    }

    // Relu's operation struct under short names for the fused BatchNorm -> Relu [-> Dropout] paths.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Relu(float x) => default(Activations.Relu).Forward(x, 0f, 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Relu(Vector256<float> x) => default(Activations.Relu).Forward(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Relu(Vector512<float> x) => default(Activations.Relu).Forward(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ReluGradient(float x, float dy) => default(Activations.Relu).Backward(x, x, dy, 0f, 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ReluGradient(Vector256<float> x, Vector256<float> dy) => default(Activations.Relu).Backward(x, dy);
}

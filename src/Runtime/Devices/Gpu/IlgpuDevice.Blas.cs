using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Strider.Devices.Gpu;

// cuBLAS for the GEMM-shaped ops (dense, and 1x1 stride-1 unpadded ungrouped convolutions) on a CUDA accelerator where
// ILGPU.Algorithms' binding loads; the tiled ILGPU GEMM everywhere else. cuBLAS is column-major: a row-major
// [rows, cols] matrix is its [cols, rows] matrix, so each call below computes the transposed product.
public sealed partial class IlgpuDevice
{
    private CuBlas? _blas;

    /// <summary>Which GEMM runs the dense and 1x1 convolution ops here: "cuBLAS" or "ILGPU GEMM" (the tiled kernels, always used for the other convolutions).</summary>
    public string GemmPath => _blas is null ? "ILGPU GEMM" : "cuBLAS";

    /// <summary>cuBLAS on <paramref name="accelerator"/>'s stream, or null where it is not CUDA or the library does not load (the tiled kernels then run).</summary>
    private static CuBlas? TryLoadBlas(Accelerator accelerator)
    {
        if (accelerator is not CudaAccelerator cuda) return null;
        CuBlas? blas = null;
        try
        {
            // Same stream as the kernels, so the ops stay in order without synchronising.
            blas = new CuBlas(cuda) { Stream = (CudaStream)cuda.DefaultStream, MathMode = CuBlasMathMode.DefaultMath };
            // A call through the handle: some ILGPU versions hand back a null API wrapper when libcublas is missing.
            return blas.Version > 0 ? blas : throw new NotSupportedException("cuBLAS reports version 0.");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException
            or CuBlasException or NullReferenceException or NotSupportedException or InvalidOperationException)
        {
            try { blas?.Dispose(); }
            catch (Exception dispose) when (dispose is NullReferenceException or CuBlasException) { }
            return null;
        }
    }

    private bool TryBlasDenseForward(int rows, int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, bool hasBias, ArrayView<float> y)
    {
        if (_blas is null) return false;
        // y^T [out, rows] = (w^T [in, out])^T x^T [in, rows].
        _blas.Gemm(CuBlasOperation.Transpose, CuBlasOperation.NonTranspose, outFeatures, rows, inFeatures, 1f, w, inFeatures, x, inFeatures, 0f, y, outFeatures);
        if (hasBias) LaunchAddBias((long)rows * outFeatures, outFeatures, 1, bias, y);
        return true;
    }

    private bool TryBlasDenseBackwardData(int rows, int inFeatures, int outFeatures, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, bool accumulate)
    {
        if (_blas is null) return false;
        // dx^T [in, rows] = w^T [in, out] dy^T [out, rows].
        _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, inFeatures, rows, outFeatures, 1f, w, inFeatures, dy, outFeatures, accumulate ? 1f : 0f, dx, inFeatures);
        return true;
    }

    private bool TryBlasDenseBackwardWeights(int rows, int inFeatures, int outFeatures, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw)
    {
        if (_blas is null) return false;
        // dw^T [in, out] += x^T [in, rows] (dy^T [out, rows])^T.
        _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.Transpose, inFeatures, outFeatures, rows, 1f, x, inFeatures, dy, outFeatures, 1f, dw, inFeatures);
        return true;
    }

    /// <summary>A 1x1 convolution that is a plain GEMM per image: Y_b [out, HW] = W [out, in] X_b [in, HW].</summary>
    private static bool IsPointwise(in ConvGeometry g) =>
        g.Groups == 1 && g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.InH == g.OutH && g.InW == g.OutW;

    private bool TryBlasConvForward(in ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, bool hasBias, ArrayView<float> y)
    {
        if (_blas is null || !IsPointwise(g)) return false;
        int plane = g.InH * g.InW;
        // Y_b^T [HW, out] = X_b^T [HW, in] (W^T [in, out]).
        for (int b = 0; b < n; b++)
            _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, plane, g.OutChannels, g.InChannels, 1f,
                x.SubView((long)b * g.InputSize, g.InputSize), plane, w, g.InChannels, 0f, y.SubView((long)b * g.OutputSize, g.OutputSize), plane);
        if (hasBias) LaunchAddBias(n * g.OutputSize, g.OutChannels, plane, bias, y);
        return true;
    }

    private bool TryBlasConvBackwardData(in ConvGeometry g, int n, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, bool accumulate)
    {
        if (_blas is null || !IsPointwise(g)) return false;
        int plane = g.InH * g.InW;
        // dX_b^T [HW, in] = dY_b^T [HW, out] W [out, in] (W^T seen column-major, transposed back).
        for (int b = 0; b < n; b++)
            _blas.Gemm(CuBlasOperation.NonTranspose, CuBlasOperation.Transpose, plane, g.InChannels, g.OutChannels, 1f,
                dy.SubView((long)b * g.OutputSize, g.OutputSize), plane, w, g.InChannels, accumulate ? 1f : 0f, dx.SubView((long)b * g.InputSize, g.InputSize), plane);
        return true;
    }

    private bool TryBlasConvBackwardWeights(in ConvGeometry g, int n, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw)
    {
        if (_blas is null || !IsPointwise(g)) return false;
        int plane = g.InH * g.InW;
        // dW^T [in, out] += (X_b^T [HW, in])^T dY_b^T [HW, out], image by image.
        for (int b = 0; b < n; b++)
            _blas.Gemm(CuBlasOperation.Transpose, CuBlasOperation.NonTranspose, g.InChannels, g.OutChannels, plane, 1f,
                x.SubView((long)b * g.InputSize, g.InputSize), plane, dy.SubView((long)b * g.OutputSize, g.OutputSize), plane, 1f, dw, g.InChannels);
        return true;
    }
}

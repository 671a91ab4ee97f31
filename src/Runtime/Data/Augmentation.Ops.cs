using System;
using System.Buffers;

namespace Strider.Data;

// The deterministic operations behind the random augmentations, each taking its drawn parameters explicitly.
public abstract partial class Augmentation
{
    /// <summary>The usual (ITU-R BT.601) luma weights for red, green and blue.</summary>
    internal const float LumaR = 0.299f, LumaG = 0.587f, LumaB = 0.114f;

    /// <summary>out[c, y, x] = in[c, y + dy, x + dx], or <paramref name="fill"/> where that falls outside the image.</summary>
    internal static void Shift(Span<float> image, ImageShape shape, int dy, int dx, float fill)
    {
        if (dy == 0 && dx == 0) return;
        var scratch = ArrayPool<float>.Shared.Rent(shape.Plane);
        try
        {
            int h = shape.Height, w = shape.Width;
            for (int c = 0; c < shape.Channels; c++)
            {
                var plane = image.Slice(c * shape.Plane, shape.Plane);
                plane.CopyTo(scratch);
                for (int y = 0; y < h; y++)
                {
                    int sy = y + dy;
                    var row = plane.Slice(y * w, w);
                    if (sy < 0 || sy >= h)
                    {
                        row.Fill(fill);
                        continue;
                    }
                    for (int x = 0; x < w; x++)
                    {
                        int sx = x + dx;
                        row[x] = sx >= 0 && sx < w ? scratch[sy * w + sx] : fill;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Mirrors every row of every channel: out[c, y, x] = in[c, y, width - 1 - x].</summary>
    internal static void FlipRows(Span<float> image, ImageShape shape)
    {
        for (int row = 0; row < shape.Channels * shape.Height; row++) image.Slice(row * shape.Width, shape.Width).Reverse();
    }

    /// <summary>
    /// Replaces the image by its window [top, top + h) x [left, left + w) resized to the full size bilinearly, pixel centres
    /// aligned: source coordinate = top + (y + 0.5) h / height - 0.5, clamped to the window.
    /// </summary>
    internal static void CropResize(Span<float> image, ImageShape shape, int top, int left, int h, int w)
    {
        int height = shape.Height, width = shape.Width;
        var scratch = ArrayPool<float>.Shared.Rent(shape.Plane);
        try
        {
            for (int c = 0; c < shape.Channels; c++)
            {
                var plane = image.Slice(c * shape.Plane, shape.Plane);
                plane.CopyTo(scratch);
                for (int y = 0; y < height; y++)
                {
                    float sy = Math.Clamp((y + 0.5f) * h / height - 0.5f, 0f, h - 1);
                    int y0 = (int)sy, y1 = Math.Min(y0 + 1, h - 1);
                    float fy = sy - y0;
                    for (int x = 0; x < width; x++)
                    {
                        float sx = Math.Clamp((x + 0.5f) * w / width - 0.5f, 0f, w - 1);
                        int x0 = (int)sx, x1 = Math.Min(x0 + 1, w - 1);
                        float fx = sx - x0;
                        float a = scratch[(top + y0) * width + left + x0], b = scratch[(top + y0) * width + left + x1];
                        float d = scratch[(top + y1) * width + left + x0], e = scratch[(top + y1) * width + left + x1];
                        plane[y * width + x] = (a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>x' = factor x for every value.</summary>
    internal static void Scale(Span<float> image, float factor)
    {
        if (factor == 1f) return;
        for (int i = 0; i < image.Length; i++) image[i] *= factor;
    }

    /// <summary>x' = m + factor (x - m), with m the mean luma over the image (the mean value for one channel).</summary>
    internal static void Contrast(Span<float> image, ImageShape shape, float factor)
    {
        if (factor == 1f) return;
        double sum = 0;
        for (int p = 0; p < shape.Plane; p++) sum += Luma(image, shape, p);
        float mean = (float)(sum / shape.Plane);
        for (int i = 0; i < image.Length; i++) image[i] = mean + factor * (image[i] - mean);
    }

    /// <summary>x' = g + factor (x - g) per pixel, with g the pixel's luma; needs 3 channels (RGB).</summary>
    internal static void Saturate(Span<float> image, ImageShape shape, float factor)
    {
        if (shape.Channels != 3) throw new ArgumentException($"Saturation needs 3 (RGB) channels; the image has {shape.Channels}.", nameof(shape));
        if (factor == 1f) return;
        int plane = shape.Plane;
        for (int p = 0; p < plane; p++)
        {
            float g = Luma(image, shape, p);
            for (int c = 0; c < 3; c++) image[c * plane + p] = g + factor * (image[c * plane + p] - g);
        }
    }

    /// <summary>The luma of pixel <paramref name="p"/>: the value itself for one channel, the BT.601 weighting for RGB.</summary>
    internal static float Luma(ReadOnlySpan<float> image, ImageShape shape, int p) => shape.Channels == 3
        ? LumaR * image[p] + LumaG * image[shape.Plane + p] + LumaB * image[2 * shape.Plane + p]
        : image[p];
}

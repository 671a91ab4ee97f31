using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// Memory: fills, copies, boxes and permutes.
public sealed partial class ReferenceDevice
{
    public override void Fill(DeviceBuffer<float> buffer, long offset, long count, float value)
    {
        var a = A(buffer);
        for (long i = 0; i < count; i++) a[offset + i] = value;
    }

    public override void Copy(DeviceBuffer<float> src, long srcOffset, DeviceBuffer<float> dst, long dstOffset, long count, bool accumulate)
    {
        var s = A(src); var d = A(dst);
        var tmp = new float[count];
        for (long i = 0; i < count; i++) tmp[i] = s[srcOffset + i];
        for (long i = 0; i < count; i++) Store(d, dstOffset + i, tmp[i], accumulate);
    }

    public override void CopyBox(in BoxCopy g, int n, DeviceBuffer<float> src, DeviceBuffer<float> dst, bool accumulate)
    {
        var s = A(src); var d = A(dst);
        for (int b = 0; b < n; b++)
            for (int c = 0; c < g.BoxChannels; c++)
                for (int y = 0; y < g.BoxH; y++)
                    for (int x = 0; x < g.BoxW; x++)
                    {
                        long si = (((long)b * g.SrcChannels + g.SrcC0 + c) * g.SrcH + g.SrcY0 + y) * g.SrcW + g.SrcX0 + x;
                        long di = (((long)b * g.DstChannels + g.DstC0 + c) * g.DstH + g.DstY0 + y) * g.DstW + g.DstX0 + x;
                        Store(d, di, s[si], accumulate);
                    }
    }

    public override void Permute(in PermuteGeometry g, int n, DeviceBuffer<float> x, DeviceBuffer<float> y, bool accumulate)
    {
        var s = A(x); var d = A(y);
        int[] dims = [g.D0, g.D1, g.D2, g.D3];
        int[] perm = [g.P0, g.P1, g.P2, g.P3];
        int[] outDims = [dims[perm[0]], dims[perm[1]], dims[perm[2]], dims[perm[3]]];
        var i = new int[4];
        for (int b = 0; b < n; b++)
            for (i[0] = 0; i[0] < dims[0]; i[0]++)
                for (i[1] = 0; i[1] < dims[1]; i[1]++)
                    for (i[2] = 0; i[2] < dims[2]; i[2]++)
                        for (i[3] = 0; i[3] < dims[3]; i[3]++)
                        {
                            long si = b * g.Size + ((i[0] * (long)dims[1] + i[1]) * dims[2] + i[2]) * dims[3] + i[3];
                            long di = b * g.Size + ((i[perm[0]] * (long)outDims[1] + i[perm[1]]) * outDims[2] + i[perm[2]]) * outDims[3] + i[perm[3]];
                            Store(d, di, s[si], accumulate);
                        }
    }
}

using System.Globalization;
using System.Text.Json;
using Strider.Devices.Cpu;

namespace Strider.Benchmarks;

/// <summary>
/// `ort-profile [W5|W6] [runs]`: ONNX Runtime's own per-node profile of W5's or W6's exported net (2 threads, the
/// workloads' session options), the mean time of each node over the runs in execution order, with its op and fused
/// kinds, to set beside `profile W5 all` (Strider's per-op times) layer by layer.
/// </summary>
public static class OrtProfile
{
    public static void Run(string[] args)
    {
        string name = args.Length > 1 ? args[1] : "W5";
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
        using var device = new CpuDevice(Workloads.Threads);
        var rng = new Random(11);
        var image = new float[3 * 224 * 224];
        for (int i = 0; i < image.Length; i++) image[i] = (float)rng.NextDouble() * 2 - 1;
        byte[] model;
        if (name == "W5")
        {
            using var net = new TorchResNet18(device, seed: 1) { Training = false };
            model = net.ExportOnnx();
        }
        else if (name == "W6")
        {
            using var net = new TorchMobileNetV2(device, seed: 1) { Training = false };
            model = net.ExportOnnx();
        }
        else throw new ArgumentException($"ort-profile runs W5 or W6, not '{name}'.");
        string prefix = Path.Combine(Path.GetTempPath(), $"ort-{name}");
        string file;
        using (var ort = new OrtRunner(model, "input", image, [1, 3, 224, 224], [1, 1000], prefix))
        {
            for (int i = 0; i < runs; i++) ort.Run();
            file = ort.EndProfiling();
        }
        // Events of category "Node" named "<node>_kernel_time", dur in microseconds; the first run's left out (its first touches).
        var totals = new Dictionary<string, (double Us, int Count, string Op, long FirstTs)>();
        using (var json = JsonDocument.Parse(File.ReadAllText(file)))
            foreach (var e in json.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node") continue;
                string node = e.GetProperty("name").GetString()!;
                if (!node.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                node = node[..^"_kernel_time".Length];
                double dur = e.GetProperty("dur").GetDouble();
                string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString()! : "?";
                long ts = e.GetProperty("ts").GetInt64();
                totals[node] = totals.TryGetValue(node, out var t) ? (t.Us + dur, t.Count + 1, op, t.FirstTs) : (dur, 1, op, ts);
            }
        File.Delete(file);
        double sum = 0;
        Console.WriteLine($"ONNX Runtime {name}, threads {Workloads.Threads}, {runs} runs, mean per node in execution order:");
        foreach (var (node, t) in totals.OrderBy(kv => kv.Value.FirstTs))
        {
            double ms = t.Us / t.Count / 1000;
            sum += ms;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ms,8:F3} ms  {t.Op,-18} {node}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  total of the nodes {sum:F3} ms"));
    }
}

using Strider.Benchmarks;
using Strider.Devices;
using Strider.Training;

namespace Strider.GpuCheck;

/// <summary>
/// One SGD training step (forward, loss, parameter gradients, momentum step) of LeNet and the U-net from the same
/// seed and data on the accelerator and on the CPU device, compared in three groups: outputs, parameter gradients,
/// and parameters with running statistics after the step. A group agrees when its relative L2 error over all its
/// tensors together, ‖accelerator − cpu‖₂ / ‖cpu‖₂, is at most 1e-4, and no tensor of it is off by more than 1e-2 of
/// max(its own norm, 1e-3 of the group's): the per-tensor bound is looser because some gradients are zero up to
/// rounding (the bias of a conv feeding BatchNorm), so their own relative error measures noise; it still catches a
/// wrong or NaN tensor.
/// </summary>
public static class TrainingAgreement
{
    /// <summary>The bound on a group's relative L2 error.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The bound on one tensor's error, relative to max(its norm, 1e-3 of its group's).</summary>
    public const double TensorTolerance = 1e-2;

    /// <summary>Prints one line per compared group and the worst tensor; true when everything agrees.</summary>
    public static bool Run(Device accelerator, Device cpu, CheckSizes sizes, TextWriter output)
    {
        bool ok = true;
        ok &= Compare($"LeNet train step b{sizes.LeNetBatch} 28x28", LeNetStep(accelerator, sizes), LeNetStep(cpu, sizes), output);
        ok &= Compare($"U-net train step b{sizes.UnetBatch} {sizes.UnetSize}x{sizes.UnetSize}", UnetStep(accelerator, sizes), UnetStep(cpu, sizes), output);
        return ok;
    }

    /// <summary>What one step produced, copied to the host.</summary>
    private sealed record StepOutcome(float Loss, List<(string Name, float[] Data)> Outputs, List<(string Name, float[] Data)> Gradients, List<(string Name, float[] Data)> Values);

    private static float[] Uniform(Random rng, long count, float lo, float hi)
    {
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return data;
    }

    private static StepOutcome LeNetStep(Device device, CheckSizes sizes)
    {
        int batch = sizes.LeNetBatch;
        var rng = new Random(11);
        using var net = new LeNet(device, seed: 1);
        using var sgd = new Sgd(net, learningRate: 0.01f, momentum: 0.9f);
        using var x = Tensor<S1x28x28>.From(device, Uniform(rng, batch * 28L * 28, 0, 1));
        using var grad = Tensor<S10x1x1>.Zeros(device, batch);
        using var labels = device.Allocate<int>(batch);
        labels.Upload(Enumerable.Range(0, batch).Select(i => (i * 7) % 10).ToArray());
        var y = net.Forward(x);
        var outputs = new List<(string Name, float[] Data)> { ("output", y.ToArray()) };
        float loss = Losses.CrossEntropy(y, labels, grad);
        return Finish(net, () => net.BackwardParameters(grad), sgd, loss, outputs);
    }

    private static StepOutcome UnetStep(Device device, CheckSizes sizes)
    {
        int batch = sizes.UnetBatch, size = sizes.UnetSize;
        var rng = new Random(13);
        using var net = new Ddae(device, seed: 1);
        using var sgd = new Sgd(net, learningRate: 0.01f, momentum: 0.9f);
        var cleanData = Uniform(rng, (long)batch * size * size, 0, 1);
        using var clean = Tensor<S1xAnyxAny>.From(device, cleanData, size, size);
        using var noisy = Tensor<S1xAnyxAny>.From(device, cleanData.Select(v => v + 0.2f * ((float)rng.NextDouble() - 0.5f)).ToArray(), size, size);
        using var grad = Tensor<S1xAnyxAny>.Zeros(device, batch, size, size);
        var y = net.Forward(noisy);
        var outputs = new List<(string Name, float[] Data)> { ("output", y.ToArray()) };
        float loss = Losses.MeanSquaredError(y, clean, grad);
        return Finish(net, () => net.BackwardParameters(grad), sgd, loss, outputs);
    }

    /// <summary>Backward and the optimizer step after the loss filled the output gradient; copies everything compared.</summary>
    private static StepOutcome Finish(INetwork net, Action backward, Optimizer optimizer, float loss, List<(string Name, float[] Data)> outputs)
    {
        net.ZeroGrad();
        backward();
        var gradients = net.Parameters.Select(p => (p.Name, p.Gradient.ToArray())).ToList();
        optimizer.Step();
        var values = net.Parameters.Concat(net.Buffers).Select(p => (p.Name, p.Value.ToArray())).ToList();
        return new StepOutcome(loss, outputs, gradients, values);
    }

    private static bool Compare(string what, StepOutcome accelerator, StepOutcome cpu, TextWriter output)
    {
        double lossError = Math.Abs(accelerator.Loss - cpu.Loss) / Math.Max(Math.Abs(cpu.Loss), 1e-12);
        bool ok = lossError <= Tolerance && float.IsFinite(accelerator.Loss);
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}: loss {accelerator.Loss:G9} vs cpu {cpu.Loss:G9} (relative error {lossError:E2})");
        ok &= CompareGroup(what, "outputs", accelerator.Outputs, cpu.Outputs, output);
        ok &= CompareGroup(what, "parameter gradients", accelerator.Gradients, cpu.Gradients, output);
        ok &= CompareGroup(what, "parameters and running statistics after the step", accelerator.Values, cpu.Values, output);
        return ok;
    }

    private static bool CompareGroup(string what, string group, List<(string Name, float[] Data)> accelerator, List<(string Name, float[] Data)> cpu, TextWriter output)
    {
        if (accelerator.Count != cpu.Count) throw new InvalidOperationException($"{what}: {accelerator.Count} {group} on the accelerator, {cpu.Count} on the CPU.");
        double groupNorm = Math.Sqrt(cpu.Sum(t => SquaredNorm(t.Data)));
        double groupDifference = 0, worst = -1;
        string worstName = "";
        var failures = new List<string>();
        for (int i = 0; i < cpu.Count; i++)
        {
            var (name, reference) = cpu[i];
            var actual = accelerator[i].Data;
            if (accelerator[i].Name != name || actual.Length != reference.Length)
                throw new InvalidOperationException($"{what}: {group} '{accelerator[i].Name}' ({actual.Length}) on the accelerator against '{name}' ({reference.Length}) on the CPU.");
            double difference = 0;
            for (int j = 0; j < reference.Length; j++) difference += ((double)actual[j] - reference[j]) * ((double)actual[j] - reference[j]);
            groupDifference += difference;
            double error = Math.Sqrt(difference) / Math.Max(Math.Sqrt(SquaredNorm(reference)), Math.Max(1e-3 * groupNorm, 1e-30));
            // NaN anywhere on the accelerator makes the error NaN, which is never within tolerance.
            if (!(error <= TensorTolerance)) failures.Add($"{name} ({error:E2})");
            if (double.IsNaN(error) || error > worst) { worst = error; worstName = name; }
        }
        double groupError = Math.Sqrt(groupDifference) / Math.Max(groupNorm, 1e-30);
        if (!(groupError <= Tolerance)) failures.Insert(0, $"the group ({groupError:E2} > {Tolerance:E0})");
        bool ok = failures.Count == 0;
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}: {cpu.Count} {group}, relative L2 error {groupError:E2}; worst tensor {worstName} {worst:E2}" +
            (ok ? "" : $"; off: {string.Join(", ", failures.Take(8))}{(failures.Count > 8 ? ", ..." : "")}"));
        return ok;
    }

    private static double SquaredNorm(float[] data)
    {
        double sum = 0;
        foreach (float v in data) sum += (double)v * v;
        return sum;
    }
}

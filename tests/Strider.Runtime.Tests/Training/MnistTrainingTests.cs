using Strider.Data;
using Strider.Devices.Cpu;
using Strider.IO;
using Strider.Training;

namespace Strider.Runtime.Tests.Training;

public sealed class MnistTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly CpuDevice _device = new(threads: 2);

    public void Dispose() => _device.Dispose();

    [Fact]
    public void Softmax_regression_on_the_shipped_digits_learns_and_survives_a_save_load_round_trip()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data", "mnist");
        var all = Mnist.Load(Path.Combine(dir, "mnist-10k-images-idx3-ubyte.gz"), Path.Combine(dir, "mnist-10k-labels-idx1-ubyte.gz"));
        var train = all.Slice(0, 8000);
        var test = all.Slice(8000, 2000);
        using var net = new LinearClassifier<Image1x28x28, Scores10>(_device, seed: 1);
        using var sgd = new Sgd(net, learningRate: 0.1f, momentum: 0.9f);
        using var trainer = new Trainer<Image1x28x28, Scores10>(net, sgd, Loss.SoftmaxCrossEntropy, batchSize: 64, seed: 1);
        var log = new StringWriter();
        trainer.Log = log;
        var results = trainer.Fit(train, epochs: 3, validation: test);
        output.WriteLine(log.ToString());
        double accuracy = results[^1].Validation!.Value.Accuracy!.Value;
        Assert.True(accuracy > 0.85, $"test accuracy {accuracy}");

        var stream = new MemoryStream();
        SafeTensors.Save(net, stream);
        using var copy = new LinearClassifier<Image1x28x28, Scores10>(_device, seed: 2);
        SafeTensors.Load(copy, new MemoryStream(stream.ToArray()));
        using var sgd2 = new Sgd(copy, learningRate: 0.1f);
        using var evaluator = new Trainer<Image1x28x28, Scores10>(copy, sgd2, Loss.SoftmaxCrossEntropy, batchSize: 500);
        Assert.Equal(accuracy, evaluator.Evaluate(test).Accuracy!.Value, 12);
    }
}

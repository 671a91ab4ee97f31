using System;
using System.Diagnostics;
using System.IO;
using Strider;
using Strider.Data;
using Strider.IO;
using Strider.Samples.FashionResNet;
using Strider.Training;

// ResNet-20 (the CIFAR ResNet of He et al. 2015) on a 12,000-image subset of Fashion-MNIST, padded to 32x32, with
// random crops and flips, SGD with momentum and a warm-up + cosine schedule over 6 epochs (pass another count as the
// first argument); then the held-out accuracy, the curves, the confusion matrix and the network diagram in ./out.
var total = Stopwatch.StartNew();
int epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 6;
Console.WriteLine("ResNet-20, as the generator planned it:");
Console.WriteLine(ResNet20.Summary);
Console.WriteLine();

string dataDir = Path.Combine(AppContext.BaseDirectory, "data");
var (train28, test28) = FashionMnist.LoadSubset(dataDir);
var train = Images.PadTo32(train28);
var test = Images.PadTo32(test28);
Console.WriteLine($"Fashion-MNIST: {train.Count} images to train on, {test.Count} held out, padded from 28x28 to 32x32 (samples/data/README.md says where they come from).");

using var net = new ResNet20(Strider.Devices.Device.Default, seed: 1);
var optimizer = new Sgd(net, learningRate: 0.1f, momentum: 0.9f, weightDecay: 5e-4f);
const int BatchSize = 64;
var shape = new ImageShape(1, 32, 32);
var augmentation = Augmentation.Compose(Augmentation.RandomCrop(padding: 4), Augmentation.HorizontalFlip());
var batches = new AugmentedBatches(train, shape, BatchSize, seed: 1, augmentation);
using var trainer = new Trainer<S1x32x32, S10x1x1>(net, optimizer, Loss.SoftmaxCrossEntropy, BatchSize, seed: 1)
{
    Schedule = new CosineSchedule(total: (long)epochs * batches.BatchesPerEpoch, warmup: batches.BatchesPerEpoch / 2),
};
var history = trainer.Fit(batches, epochs, validation: test);

net.Training = false;
var metrics = trainer.EvaluateClassifier(test, topK: 2);
Console.WriteLine($"Held-out accuracy: {metrics.Accuracy:P2} (top-2 {metrics.TopKAccuracy:P2}) on {metrics.Count} images, {total.Elapsed.TotalSeconds:F0} s in all on {net.Device.Name}.");

string outDir = Path.Combine(Directory.GetCurrentDirectory(), "out");
Directory.CreateDirectory(outDir);
Plots.TrainingCurves(Path.Combine(outDir, "fashion-resnet20-curves.png"), history, "ResNet-20 on Fashion-MNIST (12k subset)");
Plots.ConfusionMatrix(Path.Combine(outDir, "fashion-resnet20-confusion.png"), metrics.ConfusionMatrix, FashionMnist.ClassNames, "ResNet-20, held-out Fashion-MNIST");
ResNet20.SaveDiagram(Path.Combine(outDir, "fashion-resnet20-diagram.svg"));
ResNet20.SaveDiagram(Path.Combine(outDir, "fashion-resnet20-diagram.png"));
net.Save(Path.Combine(outDir, "fashion-resnet20.safetensors"));
Console.WriteLine($"Curves, confusion matrix, diagram and weights: {outDir}");

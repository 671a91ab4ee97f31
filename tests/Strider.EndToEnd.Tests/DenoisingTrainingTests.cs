using Strider.Data;
using Strider.Devices;
using Strider.Training;

namespace Strider.EndToEnd.Tests;

/// <summary>The seed's denoising U-net (constant-power stage included) learns to denoise in a few dozen steps.</summary>
public class DenoisingTrainingTests
{
    private const int Size = 61;
    private const float Sigma = 0.3f;

    /// <summary>Clean images of 1 to 3 bright bars of random size, value and place on black, and the same with Gaussian noise.</summary>
    private static (float[] Clean, float[] Noisy) Images(int count, int seed)
    {
        var random = new System.Random(seed);
        var clean = new float[count * Size * Size];
        for (int n = 0; n < count; n++)
        {
            int bars = random.Next(1, 4);
            for (int b = 0; b < bars; b++)
            {
                int h = random.Next(3, 20), w = random.Next(3, 20);
                int top = random.Next(0, Size - h), left = random.Next(0, Size - w);
                float value = 0.5f + 0.5f * (float)random.NextDouble();
                for (int y = top; y < top + h; y++)
                for (int x = left; x < left + w; x++)
                    clean[n * Size * Size + y * Size + x] = value;
            }
        }
        var noisy = new float[clean.Length];
        for (int i = 0; i < clean.Length; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            noisy[i] = clean[i] + Sigma * (float)(System.Math.Sqrt(-2 * System.Math.Log(u)) * System.Math.Cos(2 * System.Math.PI * v));
        }
        return (clean, noisy);
    }

    private static double Mse(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
        return sum / a.Length;
    }

    [Fact]
    [Trait("Speed", "Slow")]
    public void Forty_steps_of_Adam_beat_the_untrained_net_and_plain_clipping_on_held_out_images()
    {
        var device = Device.Default;
        using var net = new DenoisingUnet(device, 1);
        // As in samples/Ddae: the power y = x^w starts at w = 1.
        net.Parameters.Single(p => p.Name == "power.weight").Value.Upload(new[] { 1f });
        var (trainClean, trainNoisy) = Images(160, 1);
        var (testClean, testNoisy) = Images(16, 2);
        using var test = Tensor<S1xAnyxAny>.From(device, testNoisy, Size, Size);

        net.Training = false;
        double untrained = Mse(testClean, net.Forward(test).ToArray());
        using var optimizer = new Adam(net, learningRate: 3e-3f);
        using var trainer = new Trainer<S1xAnyxAny, S1xAnyxAny>(net, optimizer, Loss.MeanSquaredError, batchSize: 4, seed: 1, Size, Size) { Log = null };
        trainer.Fit(new Dataset(trainNoisy, Size * Size, trainClean, Size * Size), epochs: 1);
        Assert.Equal(40, optimizer.Steps);
        net.Training = false;
        double trained = Mse(testClean, net.Forward(test).ToArray());
        // Clipping the noisy input to [0, 1] already halves its error on black: the net must do clearly better than that.
        double clipped = Mse(testClean, testNoisy.Select(v => System.Math.Clamp(v, 0f, 1f)).ToArray());

        Assert.True(trained < 0.6 * untrained, $"held-out MSE {untrained:G4} before training, {trained:G4} after 40 steps");
        Assert.True(trained < 0.6 * clipped, $"held-out MSE {trained:G4} after 40 steps; the clipped noisy input's is {clipped:G4}");
    }
}

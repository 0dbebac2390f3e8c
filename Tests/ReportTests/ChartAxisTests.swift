@testable import AACore
import Testing

@Suite struct ChartAxisTests {
    @Test func ticksIncludeABoundThatIsOnlyOffByRounding() {
        let axis = ChartAxis(lower: 6 * 0.05, upper: 0.55, start: 0, end: 100)
        #expect(axis.ticks(6).map { ($0 * 100).rounded() } == [30, 35, 40, 45, 50, 55])
    }

    @Test func niceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
        #expect(ChartAxis.niceStep(0.033) == 0.05)
        #expect(ChartAxis.niceStep(0.2) == 0.2)
        #expect(ChartAxis.niceStep(7) == 10)
        #expect(ChartAxis.niceStep(1300) == 2000)
    }

    @Test func scoreRangesStayInTheUnitIntervalAndAreNeverFlat() {
        #expect(ChartAxis.scoreRange([0, 0, 0]) == (0, 0.2))
        #expect(ChartAxis.scoreRange([1, 1]) == (0.8, 1))
        #expect(ChartAxis.scoreRange([]) == (0, 1))
        let (lo, hi) = ChartAxis.scoreRange([0.31, 0.97])
        #expect(lo >= 0 && lo <= 0.31 && hi >= 0.97 && hi <= 1)
        // Rewards outside [0, 1] are not clipped.
        let (l2, h2) = ChartAxis.scoreRange([-2, 3])
        #expect(l2 <= -2 && h2 >= 3)
    }
}

#include "zimon/collect/counter_tracker.h"

#include <gtest/gtest.h>

namespace zimon::collect {
namespace {

TEST(CounterTracker, FirstReadingStartsAtRawValue) {
  CounterTracker t;
  EXPECT_EQ(t.Update("a", 42), 42);
}

TEST(CounterTracker, RiseAddsDifference) {
  CounterTracker t;
  t.Update("a", 100);
  EXPECT_EQ(t.Update("a", 150), 150);
  EXPECT_EQ(t.Update("a", 150), 150);
}

TEST(CounterTracker, DropIsTreatedAsResetAndAddsNewRawValue) {
  CounterTracker t;
  t.Update("a", 4294967000.0);  // near a 32-bit wrap
  EXPECT_EQ(t.Update("a", 200), 4294967200.0);
  EXPECT_EQ(t.Update("a", 250), 4294967250.0);
}

TEST(CounterTracker, KeysAreIndependent) {
  CounterTracker t;
  t.Update("a", 10);
  t.Update("b", 1000);
  EXPECT_EQ(t.Update("a", 5), 15);
  EXPECT_EQ(t.Update("b", 1001), 1001);
}

TEST(CounterTracker, AdvanceReturnsIncrease) {
  CounterTracker t;
  EXPECT_EQ(t.Advance("p", 30), 30);
  EXPECT_EQ(t.Advance("p", 35), 5);
  EXPECT_EQ(t.Advance("p", 3), 3);
}

TEST(CounterTracker, SweepForgetsKeysNotUpdatedSinceLastSweep) {
  CounterTracker t;
  t.Advance("old", 10);
  t.Advance("kept", 10);
  t.Sweep();
  t.Advance("kept", 20);
  t.Sweep();
  EXPECT_EQ(t.size(), 1u);
  // A forgotten key starts again from its raw value.
  EXPECT_EQ(t.Advance("old", 12), 12);
  EXPECT_EQ(t.Advance("kept", 25), 5);
}

}  // namespace
}  // namespace zimon::collect

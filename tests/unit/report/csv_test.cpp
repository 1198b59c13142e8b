#include "report/csv.hpp"

#include <gtest/gtest.h>

#include "unit/report/sample_snapshot.hpp"

namespace endure::report {
namespace {

TEST(csv, stats_headers_are_locusts) {
  EXPECT_EQ(stats_csv_header(),
            "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
            "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
            "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n");
  EXPECT_EQ(history_csv_header(),
            "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,"
            "99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response "
            "Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,"
            "Total Average Content Size\r\n");
}

TEST(csv, stats_golden) {
  const auto s = test::make_snapshot();
  const std::string expected =
      stats_csv_header() +
      "GET,/a,100,4,0.153,0.229,0.0765,1.53,1234.5,10.00,0.40,"
      "0.153,0.306,0.459,0.612,0.765,0.918,1.07,1.22,1.38,1.53,1.68\r\n"
      "POST,\"/b,\"\"quoted\"\" <b>\",20,0,12.4,18.6,6.2,124,1234.5,2.00,0.00,"
      "12.4,24.8,37.2,49.6,62,74.4,86.8,99.2,112,124,136\r\n"
      ",Aggregated,120,4,1,1.5,0.5,10,1234.5,12.00,0.40,1,2,3,4,5,6,7,8,9,10,11\r\n";
  EXPECT_EQ(stats_csv(s), expected);
}

TEST(csv, empty_entry_percentiles_are_na) {
  stats::snapshot s;
  s.aggregated.name = "Aggregated";
  EXPECT_EQ(stats_csv(s), stats_csv_header() +
                              ",Aggregated,0,0,0,0,0,0,0,0.00,0.00,"
                              "N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\r\n");
}

TEST(csv, history_rows) {
  auto s = test::make_snapshot();
  EXPECT_EQ(history_csv_rows(s, false),
            "1700000010,25,,Aggregated,24.00,0.80,2,3,4,5,6,7,8,9,10,11,12,"
            "120,4,1,1.5,0.5,10,1234.5\r\n");
  s.rows[0].current_requests = 0;  // nothing in the window: N/A like Locust
  const auto full = history_csv_rows(s, true);
  EXPECT_EQ(full.substr(0, full.find("\r\n")),
            "1700000010,25,GET,/a,20.00,0.80,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,"
            "100,4,0.153,0.229,0.0765,1.53,1234.5");
  size_t n = 0;
  for (size_t p = 0; (p = full.find("\r\n", p)) != std::string::npos; p += 2) ++n;
  EXPECT_EQ(n, 3u);
}

TEST(csv, failures_and_exceptions) {
  const auto s = test::make_snapshot();
  EXPECT_EQ(failures_csv(s),
            "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n"
            "GET,/a,HTTPError('500 Server Error'),4,2023-11-14T22:13:21Z,2023-11-14T22:13:29Z\r\n");
  EXPECT_EQ(exceptions_csv(s),
            "Count,Message,Traceback,Nodes\r\n"
            "2,std::runtime_error: out of stock,EcommerceUser::browse,local\r\n");
}

}  // namespace
}  // namespace endure::report

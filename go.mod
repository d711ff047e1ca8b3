module github.com/monitehooks/monitehooks

go 1.26
